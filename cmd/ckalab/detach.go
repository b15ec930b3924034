package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// detach starts this ckalab again with args as a process of its own
// session, its output to logPath: the exam's deadline watcher, which must
// outlive the terminal (a closed terminal's SIGHUP reaches its session
// only) and the command that started it.
func detach(args []string, logPath string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find the ckalab binary: %w", err)
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("watcher log: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s %v: %w", self, args, err)
	}
	pid := cmd.Process.Pid
	// Nobody waits for it: it is reparented to init when this process
	// exits, which reaps it.
	_ = cmd.Process.Release()
	return pid, nil
}

// alive reports whether pid is a running process whose command line holds
// want (a pid reused after a reboot is not the watcher).
func alive(pid int, want []string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		// No /proc (macOS): the signal test is all there is.
		return true
	}
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	for _, w := range want {
		found := false
		for _, a := range args {
			if string(a) == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	// A zombie still answers signal 0.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}
