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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		IO:     cli.SystemIO(os.Getenv),
		Getenv: os.Getenv,
		Now:    time.Now,
		Rand:   rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x636b616c6162)),
	})
	stop()
	os.Exit(code)
}
