package fixturemodel

import (
	_ "embed"
	"math/rand/v2"
	"strconv"
	"strings"
)

//go:embed words.txt
var wordsTxt string

// Special tokens, at the ids BERT's uncased vocabulary gives them.
const (
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	MaskToken = "[MASK]"

	PadID  = 0
	UnkID  = 100
	ClsID  = 101
	SepID  = 102
	MaskID = 103
)

// DefaultVocabSize is the vocabulary size of bert-base-uncased and
// all-MiniLM-L6-v2.
const DefaultVocabSize = 30522

// Words returns the embedded English word list, most useful words first.
func Words() []string {
	var words []string
	for line := range strings.SplitSeq(wordsTxt, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words = append(words, line)
	}
	return words
}

// Vocabulary returns a lowercase WordPiece vocabulary of exactly size tokens
// (size must be at least 2000), laid out like BERT's uncased one: [PAD] at 0,
// [unusedN] up to 99, [UNK] [CLS] [SEP] [MASK] at 100-103, then single
// characters, ##-continuations of characters, English words, common suffixes,
// and generated syllable pieces and pseudo-words to fill the rest. Every
// lowercase word made of ASCII letters and digits tokenises without [UNK],
// and common English words are single tokens. The result does not depend on
// any seed.
func Vocabulary(size int) []string {
	if size < 2000 {
		panic("fixturemodel: vocabulary size must be at least 2000")
	}
	vocab := make([]string, 0, size)
	seen := make(map[string]bool, size)
	add := func(tok string) {
		if len(vocab) < size && !seen[tok] {
			seen[tok] = true
			vocab = append(vocab, tok)
		}
	}

	add(PadToken)
	for i := 0; len(vocab) < UnkID; i++ {
		add("[unused" + strconv.Itoa(i) + "]")
	}
	add(UnkToken)
	add(ClsToken)
	add(SepToken)
	add(MaskToken)

	// Single characters as word starts. Punctuation always stands alone,
	// since the tokenizer splits words on it.
	const punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡§«¶·»¿–—‘’“”…•"
	const letters = "abcdefghijklmnopqrstuvwxyz"
	const digits = "0123456789"
	const extra = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ°£€¥©®×÷±²³µ"
	for _, r := range punct + digits + letters + extra {
		add(string(r))
	}
	// The same characters as word continuations, so that any word of them
	// tokenises (symbols such as $ or + do not split words).
	for _, r := range digits + letters + extra + punct {
		add("##" + string(r))
	}

	// Common suffixes.
	for s := range strings.FieldsSeq(`s es ed d ing ly er ers est ion ions tion tions
		ness ment ments able ible ful less ity ities ous ive al ally ism ist ists ize
		ized izes ic ical y ies ied ish en ence ance ant ent ship hood ward wards`) {
		add("##" + s)
	}

	// English words, and numbers people write.
	for _, w := range Words() {
		add(w)
	}
	for i := 10; i <= 100; i++ {
		add(strconv.Itoa(i))
	}
	for y := 1900; y <= 2030; y++ {
		add(strconv.Itoa(y))
	}

	// Letter pairs as word starts and continuations: unknown words then split
	// into pieces of two letters rather than single characters.
	for _, a := range letters {
		for _, b := range letters {
			add(string(a) + string(b))
			add("##" + string(a) + string(b))
		}
	}

	// Syllables as pieces, then pseudo-words of two or three syllables,
	// chosen by a fixed generator so that the vocabulary never changes.
	onsets := strings.Fields("b c d f g h j k l m n p r s t v w z ch sh th st tr pl br cr dr gr pr sl sp")
	vowels := strings.Fields("a e i o u y ea ee ai ou oo io")
	codas := strings.Fields("n r s t l m d ck ng nt st rd")
	var syllables []string
	for _, o := range onsets {
		for _, v := range vowels {
			syllables = append(syllables, o+v)
			for _, c := range codas {
				syllables = append(syllables, o+v+c)
			}
		}
	}
	for _, s := range syllables {
		add("##" + s)
	}
	for _, s := range syllables {
		add(s)
	}
	rng := rand.New(rand.NewPCG(0x73616c766f, 0x766f636162)) // fixed: "salvo", "vocab"
	for len(vocab) < size {
		n := 2 + rng.IntN(2)
		var b strings.Builder
		for range n {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		add(b.String())
	}
	return vocab
}
