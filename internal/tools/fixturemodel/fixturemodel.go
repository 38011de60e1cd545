// Package fixturemodel generates a small BERT sentence-embedding model in the
// Hugging Face / sentence-transformers folder layout, with seeded random
// weights, for tests that need a real embedding server.
//
// The model is shaped like all-MiniLM-L6-v2 (6 layers, hidden size 384, 12
// attention heads, feed-forward size 1536, 512 positions, a 30522-token
// lowercase WordPiece vocabulary), so that embedding with it costs what a
// real small embedding model costs. Its vectors carry no meaning beyond
// token overlap: texts that share words get similar vectors.
//
// Ollama imports the folder: upload each file as a blob and create a model
// from them (see scripts/real-ollama.sh).
package fixturemodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/salvoembed/salvo/internal/base/atomicfile"
)

// Config is the shape of the generated model.
type Config struct {
	Seed             uint64
	VocabSize        int
	HiddenSize       int
	Layers           int
	Heads            int
	IntermediateSize int
	MaxPositions     int
	// MaxSeqLength is sentence-transformers' max_seq_length (256 for
	// all-MiniLM-L6-v2); informational.
	MaxSeqLength int
}

// DefaultConfig returns the all-MiniLM-L6-v2 shape with the given seed.
func DefaultConfig(seed uint64) Config {
	return Config{
		Seed:             seed,
		VocabSize:        DefaultVocabSize,
		HiddenSize:       384,
		Layers:           6,
		Heads:            12,
		IntermediateSize: 1536,
		MaxPositions:     512,
		MaxSeqLength:     256,
	}
}

// Validate reports whether the shape is usable.
func (c Config) Validate() error {
	switch {
	case c.VocabSize < 2000:
		return errors.New("fixturemodel: VocabSize must be at least 2000")
	case c.HiddenSize <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.IntermediateSize <= 0 || c.MaxPositions <= 0:
		return errors.New("fixturemodel: sizes must be positive")
	case c.HiddenSize%c.Heads != 0:
		return fmt.Errorf("fixturemodel: HiddenSize %d is not a multiple of Heads %d", c.HiddenSize, c.Heads)
	}
	return nil
}

// initStd is the standard deviation of BERT's weight initialisation.
const initStd = 0.02

// Tensors returns the model's tensors with Hugging Face BertModel names (the
// ones Ollama's BERT converter maps to GGUF names), in a fixed order. Each
// tensor's contents come from its own generator seeded by (c.Seed, index), so
// they are the same whatever order they are produced in.
func (c Config) Tensors() []TensorSpec {
	h, ff := int64(c.HiddenSize), int64(c.IntermediateSize)
	var ts []TensorSpec
	add := func(name string, fill func(*rand.Rand, []float32), shape ...int64) {
		stream := uint64(len(ts)) + 1
		seed := c.Seed
		ts = append(ts, TensorSpec{
			Name:  name,
			Shape: shape,
			Fill: func(dst []float32) {
				fill(rand.New(rand.NewPCG(seed, stream)), dst)
			},
		})
	}
	weights := func(r *rand.Rand, dst []float32) { uniform(r, dst, initStd) }
	biases := func(r *rand.Rand, dst []float32) { uniform(r, dst, initStd/2) }
	ones := func(r *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = 1 + float32(r.Float64()-0.5)*0.1
		}
	}
	linear := func(prefix string, out, in int64) {
		add(prefix+".weight", weights, out, in)
		add(prefix+".bias", biases, out)
	}
	norm := func(prefix string) {
		add(prefix+".weight", ones, h)
		add(prefix+".bias", biases, h)
	}

	add("embeddings.word_embeddings.weight", weights, int64(c.VocabSize), h)
	add("embeddings.position_embeddings.weight", weights, int64(c.MaxPositions), h)
	add("embeddings.token_type_embeddings.weight", weights, 2, h)
	norm("embeddings.LayerNorm")
	for l := range c.Layers {
		p := "encoder.layer." + strconv.Itoa(l) + "."
		linear(p+"attention.self.query", h, h)
		linear(p+"attention.self.key", h, h)
		linear(p+"attention.self.value", h, h)
		linear(p+"attention.output.dense", h, h)
		norm(p + "attention.output.LayerNorm")
		linear(p+"intermediate.dense", ff, h)
		linear(p+"output.dense", h, ff)
		norm(p + "output.LayerNorm")
	}
	linear("pooler.dense", h, h)
	return ts
}

// uniform fills dst with values uniform in [-a, a], a = std*sqrt(3), which
// have standard deviation std.
func uniform(r *rand.Rand, dst []float32, std float64) {
	a := std * math.Sqrt(3)
	for i := range dst {
		dst[i] = float32((2*r.Float64() - 1) * a)
	}
}

// Files written by Write, relative to the output folder.
var Files = []string{
	"1_Pooling/config.json",
	"config.json",
	"model.safetensors",
	"modules.json",
	"sentence_bert_config.json",
	"special_tokens_map.json",
	"tokenizer.json",
	"tokenizer_config.json",
	"vocab.txt",
}

// Write creates dir (if needed) and writes the model folder into it. The
// output is byte-for-byte the same for the same Config.
func Write(dir string, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	vocab := Vocabulary(c.VocabSize)
	jsonFiles := map[string]any{
		"config.json":               hfConfig(c),
		"modules.json":              modules,
		"1_Pooling/config.json":     poolingConfig(c),
		"sentence_bert_config.json": map[string]any{"max_seq_length": c.MaxSeqLength, "do_lower_case": false},
		"special_tokens_map.json":   specialTokensMap(),
		"tokenizer_config.json":     tokenizerConfig(c),
		"tokenizer.json":            tokenizerJSON(vocab),
	}
	for name, v := range jsonFiles {
		b, err := marshal(v)
		if err != nil {
			return fmt.Errorf("fixturemodel: %s: %w", name, err)
		}
		if err := writeFile(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}

	var vt bytes.Buffer
	for _, tok := range vocab {
		vt.WriteString(tok)
		vt.WriteByte('\n')
	}
	if err := writeFile(filepath.Join(dir, "vocab.txt"), vt.Bytes()); err != nil {
		return err
	}

	path := filepath.Join(dir, "model.safetensors")
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Cleanup()
	err = WriteSafetensors(f, c.Tensors(), map[string]string{"format": "pt"})
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		return fmt.Errorf("fixturemodel: writing %s: %w", path, err)
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func hfConfig(c Config) map[string]any {
	return map[string]any{
		"_name_or_path":                "salvo-fixture-minilm",
		"architectures":                []string{"BertModel"},
		"attention_probs_dropout_prob": 0.1,
		"gradient_checkpointing":       false,
		"hidden_act":                   "gelu",
		"hidden_dropout_prob":          0.1,
		"hidden_size":                  c.HiddenSize,
		"initializer_range":            initStd,
		"intermediate_size":            c.IntermediateSize,
		"layer_norm_eps":               1e-12,
		"max_position_embeddings":      c.MaxPositions,
		"model_type":                   "bert",
		"num_attention_heads":          c.Heads,
		"num_hidden_layers":            c.Layers,
		"pad_token_id":                 PadID,
		"position_embedding_type":      "absolute",
		"torch_dtype":                  "float32",
		"transformers_version":         "4.8.2",
		"type_vocab_size":              2,
		"use_cache":                    true,
		"vocab_size":                   c.VocabSize,
	}
}

type module struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

var modules = []module{
	{0, "0", "", "sentence_transformers.models.Transformer"},
	{1, "1", "1_Pooling", "sentence_transformers.models.Pooling"},
	{2, "2", "2_Normalize", "sentence_transformers.models.Normalize"},
}

func poolingConfig(c Config) map[string]any {
	return map[string]any{
		"word_embedding_dimension":          c.HiddenSize,
		"pooling_mode_cls_token":            false,
		"pooling_mode_mean_tokens":          true,
		"pooling_mode_max_tokens":           false,
		"pooling_mode_mean_sqrt_len_tokens": false,
	}
}

func specialTokensMap() map[string]string {
	return map[string]string{
		"cls_token":  ClsToken,
		"mask_token": MaskToken,
		"pad_token":  PadToken,
		"sep_token":  SepToken,
		"unk_token":  UnkToken,
	}
}

func tokenizerConfig(c Config) map[string]any {
	return map[string]any{
		"clean_up_tokenization_spaces": true,
		"cls_token":                    ClsToken,
		"do_basic_tokenize":            true,
		"do_lower_case":                true,
		"mask_token":                   MaskToken,
		"model_max_length":             c.MaxPositions,
		"never_split":                  nil,
		"pad_token":                    PadToken,
		"sep_token":                    SepToken,
		"strip_accents":                nil,
		"tokenize_chinese_chars":       true,
		"tokenizer_class":              "BertTokenizer",
		"unk_token":                    UnkToken,
	}
}

type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// orderedVocab marshals a token->id map in id order, as Hugging Face
// tokenizers do.
type orderedVocab []string

func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, tok := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(tok)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func tokenizerJSON(vocab []string) map[string]any {
	special := map[string]int{PadToken: PadID, UnkToken: UnkID, ClsToken: ClsID, SepToken: SepID, MaskToken: MaskID}
	var added []addedToken
	for tok, id := range special {
		added = append(added, addedToken{ID: id, Content: tok, Special: true})
	}
	sort.Slice(added, func(i, j int) bool { return added[i].ID < added[j].ID })
	specialTok := func(tok string, id int) map[string]any {
		return map[string]any{"id": tok, "ids": []int{id}, "tokens": []string{tok}}
	}
	seq := func(id string, typ int) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": id, "type_id": typ}}
	}
	st := func(id string, typ int) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": id, "type_id": typ}}
	}
	return map[string]any{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": added,
		"normalizer": map[string]any{
			"type":                 "BertNormalizer",
			"clean_text":           true,
			"handle_chinese_chars": true,
			"strip_accents":        nil,
			"lowercase":            true,
		},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{st(ClsToken, 0), seq("A", 0), st(SepToken, 0)},
			"pair":   []any{st(ClsToken, 0), seq("A", 0), st(SepToken, 0), seq("B", 1), st(SepToken, 1)},
			"special_tokens": map[string]any{
				ClsToken: specialTok(ClsToken, ClsID),
				SepToken: specialTok(SepToken, SepID),
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{
			"type":                      "WordPiece",
			"unk_token":                 UnkToken,
			"continuing_subword_prefix": "##",
			"max_input_chars_per_word":  100,
			"vocab":                     orderedVocab(vocab),
		},
	}
}
