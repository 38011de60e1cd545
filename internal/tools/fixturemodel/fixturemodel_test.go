package fixturemodel

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func smallConfig(seed uint64) Config {
	return Config{
		Seed:             seed,
		VocabSize:        2000,
		HiddenSize:       32,
		Layers:           2,
		Heads:            4,
		IntermediateSize: 64,
		MaxPositions:     64,
		MaxSeqLength:     32,
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestDefaultConfigShape(t *testing.T) {
	c := DefaultConfig(7)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var params int64
	shapes := map[string][]int64{}
	for _, ts := range c.Tensors() {
		params += NumElements(ts.Shape)
		shapes[ts.Name] = ts.Shape
	}
	// all-MiniLM-L6-v2 has 22,713,216 parameters including its pooler.
	if params != 22713216 {
		t.Errorf("parameters = %d, want 22713216", params)
	}
	want := map[string][]int64{
		"embeddings.word_embeddings.weight":           {30522, 384},
		"embeddings.position_embeddings.weight":       {512, 384},
		"encoder.layer.5.intermediate.dense.weight":   {1536, 384},
		"encoder.layer.5.output.dense.weight":         {384, 1536},
		"encoder.layer.0.attention.self.query.weight": {384, 384},
	}
	for name, shape := range want {
		if !slices.Equal(shapes[name], shape) {
			t.Errorf("%s shape = %v, want %v", name, shapes[name], shape)
		}
	}
}

// ggufNames maps Hugging Face BERT tensor names as Ollama's BERT converter
// does (convert/convert_bert.go, Replacements).
var ggufNames = strings.NewReplacer(
	"encoder.layer", "blk",
	"encoder.layers", "blk",
	"embeddings.word_embeddings", "token_embd",
	"embeddings.token_type_embeddings", "token_types",
	"embeddings.LayerNorm", "token_embd_norm",
	"embeddings.position_embeddings", "position_embd",
	"attention.self.query", "attn_q",
	"attention.self.key", "attn_k",
	"attention.self.value", "attn_v",
	"attention.output.dense", "attn_output",
	"attention.output.LayerNorm", "attn_output_norm",
	"intermediate.dense", "ffn_up",
	"output.dense", "ffn_down",
	"output.LayerNorm", "layer_output_norm",
)

func TestTensorNamesMapToOllamaBERT(t *testing.T) {
	c := DefaultConfig(1)
	got := map[string]bool{}
	for _, ts := range c.Tensors() {
		if strings.HasPrefix(ts.Name, "pooler.") {
			continue // dropped by the converter
		}
		got[ggufNames.Replace(ts.Name)] = true
	}
	want := []string{"token_embd.weight", "token_types.weight", "position_embd.weight", "token_embd_norm.weight", "token_embd_norm.bias"}
	for l := range c.Layers {
		for _, p := range []string{"attn_q", "attn_k", "attn_v", "attn_output", "attn_output_norm", "ffn_up", "ffn_down", "layer_output_norm"} {
			for _, s := range []string{"weight", "bias"} {
				want = append(want, "blk."+itoa(l)+"."+p+"."+s)
			}
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no tensor maps to %s", w)
		}
		delete(got, w)
	}
	for n := range got {
		t.Errorf("unexpected tensor %s", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	c := smallConfig(3)
	if err := Write(dir, c); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	var cfg struct {
		Architectures         []string `json:"architectures"`
		ModelType             string   `json:"model_type"`
		HiddenSize            int      `json:"hidden_size"`
		NumHiddenLayers       int      `json:"num_hidden_layers"`
		NumAttentionHeads     int      `json:"num_attention_heads"`
		IntermediateSize      int      `json:"intermediate_size"`
		MaxPositionEmbeddings int      `json:"max_position_embeddings"`
		VocabSize             int      `json:"vocab_size"`
		LayerNormEps          float64  `json:"layer_norm_eps"`
	}
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	if !slices.Equal(cfg.Architectures, []string{"BertModel"}) || cfg.ModelType != "bert" ||
		cfg.HiddenSize != c.HiddenSize || cfg.NumHiddenLayers != c.Layers ||
		cfg.NumAttentionHeads != c.Heads || cfg.IntermediateSize != c.IntermediateSize ||
		cfg.MaxPositionEmbeddings != c.MaxPositions || cfg.VocabSize != c.VocabSize || cfg.LayerNormEps != 1e-12 {
		t.Errorf("config.json = %+v", cfg)
	}

	var mods []module
	readJSON(t, filepath.Join(dir, "modules.json"), &mods)
	if len(mods) != 3 || mods[1].Path != "1_Pooling" || mods[1].Type != "sentence_transformers.models.Pooling" ||
		mods[2].Type != "sentence_transformers.models.Normalize" {
		t.Errorf("modules.json = %+v", mods)
	}
	var pool struct {
		Dim  int  `json:"word_embedding_dimension"`
		Mean bool `json:"pooling_mode_mean_tokens"`
		CLS  bool `json:"pooling_mode_cls_token"`
	}
	readJSON(t, filepath.Join(dir, "1_Pooling/config.json"), &pool)
	if pool.Dim != c.HiddenSize || !pool.Mean || pool.CLS {
		t.Errorf("1_Pooling/config.json = %+v", pool)
	}

	var tok struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Type  string         `json:"type"`
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	readJSON(t, filepath.Join(dir, "tokenizer.json"), &tok)
	if tok.Model.Type != "WordPiece" || len(tok.Model.Vocab) != c.VocabSize {
		t.Errorf("tokenizer model %s with %d tokens", tok.Model.Type, len(tok.Model.Vocab))
	}
	for _, at := range tok.AddedTokens {
		if id, ok := tok.Model.Vocab[at.Content]; !ok || id != at.ID || !at.Special {
			t.Errorf("added token %+v, vocab id %d", at, id)
		}
	}
	if len(tok.AddedTokens) != 5 {
		t.Errorf("%d added tokens", len(tok.AddedTokens))
	}
	var tc map[string]any
	readJSON(t, filepath.Join(dir, "tokenizer_config.json"), &tc)
	for k, v := range map[string]string{"cls_token": ClsToken, "sep_token": SepToken, "pad_token": PadToken, "unk_token": UnkToken, "mask_token": MaskToken} {
		if tc[k] != v {
			t.Errorf("tokenizer_config %s = %v", k, tc[k])
		}
	}
	vt, err := os.ReadFile(filepath.Join(dir, "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(vt), "\n"), "\n")
	if len(lines) != c.VocabSize {
		t.Errorf("vocab.txt has %d lines", len(lines))
	}
	for i, l := range lines {
		if tok.Model.Vocab[l] != i {
			t.Fatalf("vocab.txt line %d = %q, tokenizer.json id %d", i, l, tok.Model.Vocab[l])
		}
	}

	model, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadSafetensorsHeader(bytes.NewReader(model), -1)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(model)) != st.DataStart()+st.Tensors["pooler.dense.bias"].DataOffsets[1] {
		t.Errorf("file size %d does not end with the last tensor", len(model))
	}
	for _, ts := range c.Tensors() {
		ti, ok := st.Tensors[ts.Name]
		if !ok || !slices.Equal(ti.Shape, ts.Shape) {
			t.Errorf("%s: %+v, want shape %v", ts.Name, ti, ts.Shape)
		}
	}
	emb, err := st.ReadF32(model, "embeddings.word_embeddings.weight")
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for _, v := range emb {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(emb))
	if mean, std := sum/n, (sq/n)-(sum/n)*(sum/n); mean > 0.001 || mean < -0.001 || std < 0.0003 || std > 0.0005 {
		t.Errorf("word embeddings mean %v variance %v, want ~0 and ~0.0004", mean, std)
	}
}

func TestWriteDeterministic(t *testing.T) {
	read := func(seed uint64) map[string][]byte {
		dir := t.TempDir()
		if err := Write(dir, smallConfig(seed)); err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range Files {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			out[f] = b
		}
		return out
	}
	a, b, other := read(5), read(5), read(6)
	for _, f := range Files {
		if !bytes.Equal(a[f], b[f]) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
		if f == "model.safetensors" {
			if bytes.Equal(a[f], other[f]) {
				t.Errorf("%s is the same for different seeds", f)
			}
		} else if !bytes.Equal(a[f], other[f]) {
			t.Errorf("%s depends on the seed", f)
		}
	}
}

func TestValidate(t *testing.T) {
	c := smallConfig(1)
	c.Heads = 5
	if c.Validate() == nil {
		t.Error("hidden size not divisible by heads accepted")
	}
	c = smallConfig(1)
	c.VocabSize = 100
	if c.Validate() == nil {
		t.Error("tiny vocabulary accepted")
	}
}

// wordPiece tokenises like Ollama's WordPiece tokenizer (tokenizer/wordpiece.go):
// split on spaces and punctuation, lowercase, greedy longest match, a word that
// cannot be covered becomes [UNK].
func wordPiece(vocab map[string]int, s string) []string {
	var out []string
	for _, field := range strings.FieldsFunc(s, unicode.IsSpace) {
		var words []string
		start := 0
		for i, r := range field {
			if unicode.IsPunct(r) {
				if i > start {
					words = append(words, field[start:i])
				}
				words = append(words, string(r))
				start = i + len(string(r))
			}
		}
		if start < len(field) {
			words = append(words, field[start:])
		}
		for _, w := range words {
			w = strings.ToLower(w)
			var pieces []string
			for start := 0; start < len(w); {
				end := len(w)
				for ; end > start; end-- {
					sub := w[start:end]
					if start > 0 {
						sub = "##" + sub
					}
					if _, ok := vocab[sub]; ok {
						pieces = append(pieces, sub)
						break
					}
				}
				if end == start {
					pieces = []string{UnkToken}
					break
				}
				start = end
			}
			out = append(out, pieces...)
		}
	}
	return out
}

func TestVocabulary(t *testing.T) {
	v := Vocabulary(DefaultVocabSize)
	if len(v) != DefaultVocabSize {
		t.Fatalf("%d tokens", len(v))
	}
	ids := map[string]int{}
	for i, tok := range v {
		if _, dup := ids[tok]; dup {
			t.Fatalf("duplicate token %q", tok)
		}
		if tok != strings.ToLower(tok) && !strings.HasPrefix(tok, "[") {
			t.Errorf("token %q is not lowercase", tok)
		}
		ids[tok] = i
	}
	for tok, id := range map[string]int{PadToken: PadID, UnkToken: UnkID, ClsToken: ClsID, SepToken: SepID, MaskToken: MaskID} {
		if ids[tok] != id {
			t.Errorf("%s at %d, want %d", tok, ids[tok], id)
		}
	}
	if !slices.Equal(v, Vocabulary(DefaultVocabSize)) {
		t.Error("vocabulary is not deterministic")
	}

	text := `The quick brown fox jumps over the lazy dog. A family movie about a dog
		who travels across the country to find his way home; critics loved it (4/5 stars)!
		In 1999, the band released their third album, "Silver Nights", with 12 songs.
		Zyxwv qwrtp and other made-up words still tokenise, as do numbers like 31415.`
	toks := wordPiece(ids, text)
	for _, w := range []string{"the", "movie", "dog", "album", "family", "country", "stars", "1999"} {
		if !slices.Contains(toks, w) {
			t.Errorf("%q is not a token of %v", w, toks)
		}
	}
	var unk, whole int
	for _, tk := range toks {
		if tk == UnkToken {
			unk++
		}
		if !strings.HasPrefix(tk, "##") {
			whole++
		}
	}
	if unk != 0 {
		t.Errorf("%d [UNK] in %v", unk, toks)
	}
	// Made-up words and long numbers split into pieces; the rest are words.
	if frac := float64(whole) / float64(len(toks)); frac < 0.75 {
		t.Errorf("only %.0f%% of tokens are whole words: %v", 100*frac, toks)
	}
}
