package salvo

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Aliaser keeps a store's aliases, names that stand for a collection, and
// drops collections. Optional: salvo alias and salvo drop need it, and
// [Resolve] reads it. Dropping is here because it must see the aliases in
// the same transaction: a collection an alias points to is never dropped.
//
// A name is a collection's or an alias's, never both: SetAlias refuses the
// name of a collection, and OpenCollection refuses to create a collection
// with an alias's name (both with a *[NameTakenError]).
type Aliaser interface {
	// SetAlias points alias at collection, creating the alias or
	// repointing it, in one transaction: a reader sees the old target or
	// the new one, never none. The collection must exist (an error wrapping
	// [ErrNoCollection]; an alias is not a collection, so an alias never
	// points at another alias).
	SetAlias(ctx context.Context, alias, collection string) error
	// DeleteAlias removes alias; an alias that does not exist is an error
	// wrapping [ErrNoAlias].
	DeleteAlias(ctx context.Context, alias string) error
	// Aliases lists the aliases by name.
	Aliases(ctx context.Context) ([]Alias, error)
	// DropCollection deletes the collection, its records and its runs in
	// the ledger, in one transaction, and returns how many records it
	// deleted. The cached vectors stay: other records may refer to them.
	// A collection an alias points to is refused with an
	// *[AliasedError]; one that does not exist with an error wrapping
	// [ErrNoCollection].
	DropCollection(ctx context.Context, collection string) (int64, error)
}

// Alias is a name that stands for a collection.
type Alias struct {
	Name       string `json:"name"`
	Collection string `json:"collection"`
}

// ErrNoAlias is returned for an alias that does not exist.
var ErrNoAlias = errors.New("no such alias")

// NameTakenError is a name given to an alias that a collection has, or to a
// new collection that an alias has.
type NameTakenError struct {
	Name string
	// AliasOf is the collection the alias Name points to when the name is
	// an alias's; "" when it is a collection's.
	AliasOf string
}

func (e *NameTakenError) Error() string {
	if e.AliasOf != "" {
		return fmt.Sprintf("%q is an alias (of collection %q), not a collection", e.Name, e.AliasOf)
	}
	return fmt.Sprintf("%q is the name of a collection: an alias cannot have it", e.Name)
}

// AliasedError refuses to drop a collection that aliases point to.
type AliasedError struct {
	Collection string
	Aliases    []string // the aliases that point to it, by name
}

func (e *AliasedError) Error() string {
	return fmt.Sprintf("collection %q is the target of alias %s", e.Collection, strings.Join(quoteAll(e.Aliases), ", "))
}

func quoteAll(names []string) []string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return q
}

// Resolve returns the collection that name stands for: the collection an
// alias points to, or name itself when it is no alias (or st keeps no
// aliases). It does not check that the collection exists.
func Resolve(ctx context.Context, st Store, name string) (string, error) {
	a, ok := st.(Aliaser)
	if !ok || name == "" {
		return name, nil
	}
	aliases, err := a.Aliases(ctx)
	if err != nil {
		return "", err
	}
	if target, ok := AliasTarget(aliases, name); ok {
		return target, nil
	}
	return name, nil
}

// AliasTarget returns the collection alias points to among aliases.
func AliasTarget(aliases []Alias, alias string) (string, bool) {
	for _, a := range aliases {
		if a.Name == alias {
			return a.Collection, true
		}
	}
	return "", false
}

// FindCollection returns what st holds of the collection name (or of the
// collection the alias name points to, see [Resolve]), or an error wrapping
// [ErrNoCollection] when st has no such collection.
func FindCollection(ctx context.Context, st Store, name string) (*Collection, error) {
	name, err := Resolve(ctx, st, name)
	if err != nil {
		return nil, err
	}
	colls, err := st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	for i := range colls {
		if colls[i].Name == name {
			return &colls[i], nil
		}
	}
	return nil, fmt.Errorf("collection %q: %w", name, ErrNoCollection)
}
