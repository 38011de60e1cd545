package cli

import (
	"context"
	"fmt"

	"github.com/salvoembed/salvo/ollama"
	"github.com/schollz/progressbar/v3"
)

// pull asks the server to download model, showing its progress.
func pull(ctx context.Context, c *ollama.Client, model string, stdio Stdio, quiet bool) error {
	if !quiet {
		fmt.Fprintf(stdio.Err, "salvo: pulling %s on %s\n", model, c.Host())
	}
	var bar *progressbar.ProgressBar
	digest := ""
	err := c.Pull(ctx, model, func(p ollama.PullProgress) {
		if quiet {
			return
		}
		if p.Total > 0 && p.Digest != digest {
			if bar != nil {
				bar.Finish()
			}
			digest = p.Digest
			bar = progressbar.NewOptions64(p.Total, progressbar.OptionSetWriter(stdio.Err),
				progressbar.OptionShowBytes(true), progressbar.OptionSetDescription(p.Status),
				progressbar.OptionSetVisibility(isTerminal(stdio)))
		}
		if bar != nil && p.Completed > 0 {
			bar.Set64(p.Completed)
		}
		if p.Total == 0 && !isTerminal(stdio) {
			fmt.Fprintf(stdio.Err, "salvo: pull: %s\n", p.Status)
		}
	})
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stdio.Err)
	}
	if err != nil {
		return fmt.Errorf("pulling %s on %s: %w", model, c.Host(), err)
	}
	return nil
}
