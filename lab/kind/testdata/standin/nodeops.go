package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The scripts of lab/nodeops.go, which the stand-in, having no shell,
// recognises verbatim (the listing's, which is long, by its SHA-256, as
// internal/fakelab does) and does in Go.
const (
	readScript       = `test -f "$1" || exit 44; cat -- "$1"`
	writeScript      = `mkdir -p "$(dirname "$1")" && cat > "$1"`
	chmodScript      = writeScript + ` && chmod "$2" "$1"`
	moveScript       = `mkdir -p "$(dirname "$2")" && mv -f -- "$1" "$2"`
	listScriptSHA256 = "f8e567ce262eda3f89d88b743a2479c51be2e6041b21786cd6e369db6998ddee"
)

// nodeScript is the Go version of a script of lab/nodeops.go; it is given
// the script's arguments ($1...).
func nodeScript(script string) (func(args []string) int, bool) {
	sum := sha256.Sum256([]byte(script))
	switch {
	case script == readScript:
		return readFile, true
	case script == writeScript, script == chmodScript:
		return writeFile, true
	case script == moveScript:
		return moveFile, true
	case hex.EncodeToString(sum[:]) == listScriptSHA256:
		return listFiles, true
	}
	return nil, false
}

func readFile(args []string) int {
	if len(args) != 1 {
		return unsupported("read", args)
	}
	if fi, err := os.Stat(args[0]); err != nil || !fi.Mode().IsRegular() {
		return 44
	}
	return cat(args)
}

// writeFile writes stdin to $1, making its folder, and sets the mode $2
// if given.
func writeFile(args []string) int {
	if len(args) != 1 && len(args) != 2 {
		return unsupported("write", args)
	}
	data, err := io.ReadAll(os.Stdin)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(args[0]), 0o755)
	}
	if err == nil {
		err = os.WriteFile(args[0], data, 0o644)
	}
	if err == nil && len(args) == 2 {
		var mode uint64
		if mode, err = strconv.ParseUint(args[1], 8, 32); err == nil {
			err = os.Chmod(args[0], fs.FileMode(mode))
		}
	}
	if err != nil {
		return fail("write", err)
	}
	return 0
}

func moveFile(args []string) int {
	if len(args) != 2 {
		return unsupported("move", args)
	}
	if err := os.MkdirAll(filepath.Dir(args[1]), 0o755); err != nil {
		return fail("mkdir", err)
	}
	if err := os.Rename(args[0], args[1]); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "mv: cannot stat '%s': No such file or directory\n", args[0])
			return 1
		}
		return fail("mv", err)
	}
	return 0
}

// listFiles prints what the listing script prints: args are the size
// limit, the paths, "--" and the units.
func listFiles(args []string) int {
	if len(args) == 0 {
		return unsupported("list", args)
	}
	limit, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return unsupported("list", args)
	}
	paths, units := args[1:], []string(nil)
	if i := slices.Index(paths, "--"); i >= 0 {
		paths, units = paths[:i], paths[i+1:]
	}
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	file := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if fi.Size() > limit {
			fmt.Printf("L %s\n", b(p))
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Printf("F %s %s %s\n", b(p), lsMode(fi.Mode()), base64.StdEncoding.EncodeToString(data))
		return nil
	}
	var walk func(dir string) error
	walk = func(dir string) error {
		fmt.Printf("D %s\n", b(dir))
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if e.IsDir() { // a symlink to a folder is not followed
				err = walk(p)
			} else {
				err = file(p)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range paths {
		dir, isDir := strings.CutSuffix(p, "/")
		if fi, err := os.Stat(dir); isDir && (err != nil || !fi.IsDir()) {
			continue
		}
		if isDir {
			err = walk(dir)
		} else {
			err = file(p)
		}
		if err != nil {
			return fail("list", err)
		}
	}
	for _, u := range units {
		fmt.Printf("U %s %s %s\n", b(u), unitWord("is-active", u), unitWord("is-enabled", u))
	}
	return 0
}

// unitWord is what `systemctl VERB UNIT` prints on stdout, as the listing
// prints it: "-" for nothing.
func unitWord(verb, unit string) string {
	out, _, _, _ := unitCommand(verb, unit)
	if w := strings.TrimSpace(out); w != "" {
		return w
	}
	return "-"
}

// lsMode is a regular file's mode as `ls -l` prints it: "-rw-------",
// "-rwsr-xr-x" (Go's FileMode.String writes the special bits otherwise).
func lsMode(m fs.FileMode) string {
	out := []byte("----------")
	for i, c := range "rwxrwxrwx" {
		if m&(1<<(8-i)) != 0 {
			out[1+i] = byte(c)
		}
	}
	for _, sp := range []struct {
		bit    fs.FileMode
		at     int
		letter byte
	}{{fs.ModeSetuid, 3, 's'}, {fs.ModeSetgid, 6, 's'}, {fs.ModeSticky, 9, 't'}} {
		if m&sp.bit == 0 {
			continue
		}
		if out[sp.at] == 'x' {
			out[sp.at] = sp.letter
		} else {
			out[sp.at] = sp.letter - 'a' + 'A'
		}
	}
	return string(out)
}
