package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/salvoembed/salvo"
)

const aliasHelp = `Usage: salvo alias [--db PATH|URL] [--json]        list the aliases
       salvo alias [--db PATH|URL] NAME COLLECTION     point NAME at COLLECTION
       salvo alias [--db PATH|URL] --delete NAME       remove the alias NAME

An alias is a name that stands for a collection: search, similar, export,
serve and status accept it wherever they take a collection. Pointing an
alias at another collection is one transaction, so a search never finds it
missing: embed movies_v2 with a new model while movies → movies_v1 serves,
compare the two with salvo search, then salvo alias movies movies_v2 (and
salvo alias movies movies_v1 to roll back).

An alias cannot have a collection's name, and salvo embed refuses an alias
(embed into the collection it points to).

Examples:
  salvo alias movies movies_v2
  salvo alias --json
  salvo alias --delete movies

Flags:
`

const dropHelp = `Usage: salvo drop [--db PATH|URL] COLLECTION

Deletes a collection: its records and its runs in the ledger, in one
transaction. The cached vectors stay (another collection may share them;
a run of the same texts and model costs no request). A collection an alias
points to is refused: point the alias elsewhere (salvo alias) or delete it
(salvo alias --delete) first.

Examples:
  salvo drop movies_v1
  salvo drop --db postgres://localhost/catalog movies_v1

Flags:
`

func runAlias(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("alias", aliasHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	del := fs.String("delete", "", "remove the alias `NAME` (the collection stays)")
	jsonOut := fs.Bool("json", false, `list the aliases as {"aliases":[{"name":…,"collection":…},…]}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *del != "" && fs.NArg() > 0:
		return usageError("--delete NAME takes no other argument (got %q)", fs.Args())
	case *del == "" && fs.NArg() == 0:
		return listAliases(ctx, db, *jsonOut, stdio)
	case *del == "" && fs.NArg() != 2:
		return usageError("give an alias and the collection it stands for, e.g. salvo alias movies movies_v2 (got %d arguments)", fs.NArg())
	}
	a, closeStore, err := openAliaser(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if *del != "" {
		if err := a.DeleteAlias(ctx, *del); err != nil {
			if errors.Is(err, salvo.ErrNoAlias) {
				return fmt.Errorf("%w: salvo alias lists them", err)
			}
			return err
		}
		fmt.Fprintf(stdio.Err, "salvo: alias %s removed\n", *del)
		return nil
	}
	name, target := fs.Arg(0), fs.Arg(1)
	before, err := a.Aliases(ctx)
	if err != nil {
		return err
	}
	if err := a.SetAlias(ctx, name, target); err != nil {
		if to, ok := salvo.AliasTarget(before, target); ok && errors.Is(err, salvo.ErrNoCollection) {
			return fmt.Errorf("%q is an alias of collection %q, and an alias points at a collection: salvo alias %s %s", target, to, shellArg(name), shellArg(to))
		}
		var taken *salvo.NameTakenError
		if errors.As(err, &taken) {
			return fmt.Errorf("%w: choose another name for the alias", err)
		}
		if errors.Is(err, salvo.ErrNoCollection) {
			return fmt.Errorf("%w: salvo status lists the collections", err)
		}
		return err
	}
	if was, ok := salvo.AliasTarget(before, name); ok && was != target {
		fmt.Fprintf(stdio.Err, "salvo: alias %s → %s (was %s)\n", name, target, was)
	} else {
		fmt.Fprintf(stdio.Err, "salvo: alias %s → %s\n", name, target)
	}
	return nil
}

// listAliases prints the aliases, from a store opened for reading.
func listAliases(ctx context.Context, db dbTarget, jsonOut bool, stdio Stdio) error {
	st, err := db.openReadOnly(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var list []salvo.Alias
	if a, ok := st.(salvo.Aliaser); ok {
		if list, err = a.Aliases(ctx); err != nil {
			return err
		}
	}
	if list == nil {
		list = []salvo.Alias{}
	}
	if jsonOut {
		return json.NewEncoder(stdio.Out).Encode(struct {
			Aliases []salvo.Alias `json:"aliases"`
		}{list})
	}
	if len(list) == 0 {
		fmt.Fprintf(stdio.Out, "%s has no aliases: salvo alias NAME COLLECTION makes one\n", st.Path())
		return nil
	}
	return printAliases(stdio, list)
}

// printAliases writes the aliases as a table.
func printAliases(stdio Stdio, list []salvo.Alias) error {
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALIAS\tCOLLECTION")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\n", a.Name, a.Collection)
	}
	return tw.Flush()
}

func runDrop(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("drop", dropHelp, stdio)
	var db dbTarget
	dbFlag(fs, &db)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give the collection to drop, e.g. salvo drop movies_v1 (got %d arguments)", fs.NArg())
	}
	name := fs.Arg(0)
	a, closeStore, err := openAliaser(ctx, db)
	if err != nil {
		return err
	}
	defer closeStore()
	n, err := a.DropCollection(ctx, name)
	var aliased *salvo.AliasedError
	switch {
	case errors.As(err, &aliased):
		return fmt.Errorf("%w: point it at another collection (salvo alias %s OTHER) or remove it (salvo alias --delete %s) first",
			err, shellArg(aliased.Aliases[0]), shellArg(aliased.Aliases[0]))
	case errors.Is(err, salvo.ErrNoCollection):
		if list, lerr := a.Aliases(ctx); lerr == nil {
			if to, ok := salvo.AliasTarget(list, name); ok {
				return fmt.Errorf("%q is an alias (of collection %q), not a collection: salvo alias --delete %s removes it", name, to, shellArg(name))
			}
		}
		return fmt.Errorf("%w: salvo status lists the collections", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdio.Err, "salvo: collection %s dropped (%d records); its cached vectors stay\n", name, n)
	return nil
}

// openAliaser opens an existing store for writing aliases or dropping a
// collection; it creates no SQLite file.
func openAliaser(ctx context.Context, db dbTarget) (salvo.Aliaser, func(), error) {
	st, err := openExisting(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	a, ok := st.(salvo.Aliaser)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("%s keeps no aliases", st.Path())
	}
	return a, func() { st.Close() }, nil
}

// refuseAlias refuses a run of salvo embed into an alias: it names the
// collection to embed into instead. A store that cannot be read yet is not
// refused here (the run reports it).
func refuseAlias(ctx context.Context, db dbTarget, collection string) error {
	if p := db.sqlitePath(); p != "" {
		if _, err := os.Stat(p); err != nil {
			return nil
		}
	}
	st, err := db.openReadOnly(ctx)
	if err != nil {
		return nil
	}
	defer st.Close()
	to, err := salvo.Resolve(ctx, st, collection)
	if err != nil || to == collection {
		return nil
	}
	return aliasEmbedError(collection, to)
}

// aliasEmbedError is the error of salvo embed into alias, which points to
// collection.
func aliasEmbedError(alias, collection string) error {
	return fmt.Errorf("--collection %s is an alias of collection %q, and salvo embed writes into a collection: embed into it with --collection %s, or into a new collection and then point the alias at it (salvo alias %s NEW)",
		shellArg(alias), collection, shellArg(collection), shellArg(alias))
}

// aliasNote is what status prints of the aliases: a line each ("alias
// movies → movies_v2"), "" for none.
func aliasNote(list []salvo.Alias) string {
	lines := make([]string, len(list))
	for i, a := range list {
		lines[i] = "alias " + a.Name + " → " + a.Collection
	}
	return strings.Join(lines, "\n")
}

// openExisting opens the store for writing, refusing a SQLite file that
// does not exist rather than creating it.
func openExisting(ctx context.Context, db dbTarget) (store, error) {
	if p := db.sqlitePath(); p != "" {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist: run salvo embed first, or give --db", p)
		}
	}
	return db.open(ctx)
}
