// Command ckalab is a CKA practice lab and exam simulator.
package main

import (
	"context"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ckalab/ckalab/cmd/internal/cli"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	io := cli.SystemIO(os.Getenv)
	env := cli.Env{
		IO:     io,
		Getenv: os.Getenv,
		Now:    time.Now,
		Rand:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x636b616c6162)),
		Detach: detach,
		Alive:  alive,
	}
	code := cli.RunInterruptible(func(ctx context.Context) int {
		return cli.Main(ctx, os.Args[1:], env)
	}, sigs, time.After, io)
	os.Exit(code)
}
