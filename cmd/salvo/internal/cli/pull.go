package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/render"

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
	if err != nil && !strings.HasPrefix(err.Error(), "pulling "+model) {
		return fmt.Errorf("pulling %s on %s: %w", model, c.Host(), err)
	}
	return err // the client's errors say what was pulled already
}

// closeModel is the model of the server whose name is closest to model,
// for a "did you mean", or "".
func closeModel(model string, models []ollama.Model) string {
	var names []string
	for _, m := range models {
		names = append(names, salvo.CanonicalModel(m.Name))
	}
	return render.Suggest(salvo.CanonicalModel(model), names)
}
