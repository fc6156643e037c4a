// Command atende is the Atende helpdesk: `atende serve` runs it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/atende-helpdesk/atende/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], app.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
