package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/search"
	"github.com/salvoembed/salvo/sqlite"
)

// The libraries' errors state facts; the flags that change them are the
// command line's to name. advise puts them into a message.

// advise returns msg, the text of err (or of a failure caused by err), with
// the advice for each error of err's tree that has some: each one's own
// text within msg is replaced by its advised text. Outer errors come first,
// so an advised text that repeats an inner error's text is advised too.
func advise(msg string, err error) string {
	walkErrors(err, func(e error) {
		if plain, advised := advice(e); plain != "" {
			msg = strings.Replace(msg, plain, advised, 1)
		}
	})
	return msg
}

// advice returns err's own text and that text with what to do, or "" for
// an error without advice.
func advice(err error) (plain, advised string) {
	if err == render.ErrTemplateAndFields {
		return err.Error(), "choose one way to build the text: a template (--text) or a list of fields (--fields), not both"
	}
	switch e := err.(type) {
	case *salvo.ModelNotFoundError:
		if e.Suggestion != "" {
			return e.Error(), fmt.Sprintf("model %q not found on %s (%s); did you mean %s? That server has it: pass --model %s. To use %s itself, run `ollama pull %s` on that server, or pass --pull",
				e.Model, e.Endpoint, e.Message, e.Suggestion, e.Suggestion, e.Model, e.Model)
		}
		return e.Error(), e.Error() + ", or pass --pull"
	case *salvo.NameTakenError:
		if e.AliasOf != "" { // salvo embed into an alias that another process made
			return e.Error(), aliasEmbedError(e.Name, e.AliasOf).Error()
		}
	case *salvo.ModelMismatchError:
		return e.Error(), e.Error() + fmt.Sprintf(": use --collection to start another collection, or --model %s to continue this one", e.Have)
	case *engine.TooLongError:
		hint := "--chunk auto embeds it in pieces; or shorten the text, or drop --truncate=false to let the server cut it"
		if e.Truncate { // the endpoint refused although truncation was allowed
			hint = "this endpoint does not truncate: use --api embed, or shorten the text"
		}
		return e.Error(), fmt.Sprintf("%v (the model's context is %d tokens: %s)", e.Err, e.ContextTokens, hint)
	case *engine.TimeoutError:
		return e.Error(), fmt.Sprintf("%s: no answer within %v (--timeout): %v", e.Host, e.Timeout, context.DeadlineExceeded)
	case *engine.VectorSizeError:
		return e.Error(), e.Error() + " (a different model or --dimensions on this server?)"
	case *engine.HostsDownError:
		return e.Error(), e.Message(" (--host-timeout)")
	case *search.EmptyCollectionError:
		return e.Error(), e.Error() + fmt.Sprintf(" (salvo embed FILE --collection %s)", e.Name)
	case *search.UnknownIDError:
		return e.Error(), e.Error() + fmt.Sprintf(": salvo export --collection %s --format ids lists its IDs", shellArg(e.Collection))
	case *search.QueryDimensionError:
		return e.Error(), fmt.Sprintf("the server's %s answers %d-dimensional vectors, but collection %q holds %d: it was embedded with another model or --dimensions; search with the same --host and model it was embedded with",
			e.Model, e.Got, e.Collection, e.Want)
	case *sqlite.NotWritableError:
		return e.Error(), e.Message(" or choose another --db")
	case *postgres.UnavailableError:
		return e.Error(), fmt.Sprintf("PostgreSQL at %s did not come back within %s (--db-timeout): %v", e.Where, e.For, e.Err)
	case *postgres.IDError:
		return e.Error(), e.Error() + ", or choose another --id"
	case *render.NoTextError:
		tmpl := "{{." + e.Example[0] + "}}"
		if len(e.Example) > 1 {
			tmpl += ": {{." + e.Example[1] + "}}"
		}
		return e.Error(), fmt.Sprintf("record has no %q field; choose what to embed with --fields %s or --text '%s' (fields: %s)",
			render.DefaultField, strings.Join(e.Example, ","), tmpl, strings.Join(e.Fields, ", "))
	case *render.TemplateError:
		return e.Error(), "invalid --text template: " + e.Msg
	case *engine.DuplicateError:
		return e.Error(), e.Error() + " (--on-duplicate first|last keeps one of them)"
	}
	return sourceAdvice(err)
}

// walkErrors calls fn for err and every error it wraps, outer ones first.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}
