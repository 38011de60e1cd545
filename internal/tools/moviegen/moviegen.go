// Package moviegen invents movie catalogs shaped like the records of the YTS
// API v2 (the objects in list_movies.json's data.movies), for examples,
// tests and benchmarks that must not depend on a real catalog.
//
// The films are invented: titles and summaries are put together from word
// lists and sentence templates, so every text reads like a plausible blurb
// of about 70 words. Output depends only on the seed and the position of a
// record, never on the Go version, so committed example files stay valid.
//
// Start with [New] and [Gen.Next] to get records in memory, or [Generate] to
// stream any number of JSON lines in constant memory:
//
//	g := moviegen.New(1)
//	m := g.Next() // m.ID == 1
//
// Every [DuplicateEvery] records, one record repeats the content (title,
// year, genres, summary, ...) of an earlier one under a new id, imdb_code
// and slug, the way a catalog lists a re-upload; [DuplicateOf] tells which.
// They let a program show that identical texts are embedded once.
package moviegen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

const (
	// DuplicateEvery is the period of deliberate duplicates: in every run
	// of DuplicateEvery records, exactly one repeats earlier content.
	DuplicateEvery = 100
	// duplicateAt is the 0-based position inside each period of the record
	// that repeats; duplicateLag is how far back its original is.
	duplicateAt  = 57
	duplicateLag = 40
)

// Movie is one record shaped like a YTS API v2 movie. The JSON field order
// of [Movie.AppendJSON] follows YTS's.
type Movie struct {
	ID               int       `json:"id"`
	URL              string    `json:"url"`
	IMDBCode         string    `json:"imdb_code"`
	Title            string    `json:"title"`
	TitleEnglish     string    `json:"title_english"`
	TitleLong        string    `json:"title_long"`
	Slug             string    `json:"slug"`
	Year             int       `json:"year"`
	Rating           Rating    `json:"rating"`
	Runtime          int       `json:"runtime"`
	Genres           []string  `json:"genres"`
	Summary          string    `json:"summary"`
	DescriptionFull  string    `json:"description_full"`
	Synopsis         string    `json:"synopsis"`
	YTTrailerCode    string    `json:"yt_trailer_code"`
	Language         string    `json:"language"`
	MPARating        string    `json:"mpa_rating"`
	Torrents         []Torrent `json:"torrents"`
	DateUploaded     string    `json:"date_uploaded"`
	DateUploadedUnix int64     `json:"date_uploaded_unix"`
}

// Torrent is one downloadable release of a [Movie].
type Torrent struct {
	URL       string `json:"url"`
	Hash      string `json:"hash"`
	Quality   string `json:"quality"`
	Type      string `json:"type"`
	Size      string `json:"size"`
	SizeBytes int64  `json:"size_bytes"`
	Seeds     int    `json:"seeds"`
	Peers     int    `json:"peers"`
}

// Rating is a score out of 10 with one decimal. It is always written with
// that decimal (7.0, not 7), as a JSON number.
type Rating float64

// MarshalJSON writes the rating with exactly one decimal.
func (r Rating) MarshalJSON() ([]byte, error) { return appendRating(nil, r), nil }

// Gen produces the records of one seed in order. The zero value produces
// seed 0's records. A Gen is not safe for concurrent use; give each
// goroutine its own.
type Gen struct {
	seed    uint64
	i       int // 0-based index of the next record
	scratch scratch
}

// New returns a generator whose first record has ID 1.
func New(seed int64) *Gen { return &Gen{seed: uint64(seed)} }

// Next returns the next record. Records are a pure function of the seed and
// the index, so two generators with the same seed agree record by record.
func (g *Gen) Next() Movie {
	i := g.i
	g.i++
	content := i
	if orig, ok := duplicateIndex(i); ok {
		content = orig
	}
	var m Movie
	c := newRNG(g.seed, uint64(content), saltContent)
	fillContent(&m, &c, &g.scratch)
	fillRelease(&m, newRNG(g.seed, uint64(i), saltRelease), i)
	if content != i {
		m.Slug += "-2"
		m.URL = "https://yts.example/movies/" + m.Slug
	}
	return m
}

// DuplicateOf reports whether the record with the given ID repeats the
// content of an earlier record, and that record's ID.
func DuplicateOf(id int) (orig int, ok bool) {
	if id < 1 {
		return 0, false
	}
	if o, ok := duplicateIndex(id - 1); ok {
		return o + 1, true
	}
	return 0, false
}

func duplicateIndex(i int) (int, bool) {
	if i%DuplicateEvery == duplicateAt {
		return i - duplicateLag, true
	}
	return 0, false
}

// Generate writes n records of the given seed to w as JSON lines, one
// object per line. Memory use does not grow with n.
func Generate(seed int64, n int, w io.Writer) error {
	if n < 0 {
		return fmt.Errorf("moviegen: cannot generate %d records: the count must be 0 or more", n)
	}
	g := New(seed)
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := make([]byte, 0, 4096)
	for range n {
		m := g.Next()
		buf = m.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("moviegen: writing record %d: %w", m.ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("moviegen: writing records: %w", err)
	}
	return nil
}

// ytsEpoch and ytsEnd bound the upload dates: YTS's catalog starts in 2013.
var (
	ytsEpoch = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	ytsEnd   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// fillRelease sets the fields that differ between two uploads of the same
// film: identity, trailer, upload date and torrents.
func fillRelease(m *Movie, r rng, i int) {
	m.ID = i + 1
	// A bijection of i modulo 10^7 keeps imdb codes unique for the first
	// ten million records while looking random.
	m.IMDBCode = imdbCode((uint64(i)*3_141_593 + 1_234_567) % 10_000_000)
	m.URL = "https://yts.example/movies/" + m.Slug
	if r.intn(20) > 0 {
		m.YTTrailerCode = r.token(11)
	}
	from := max(ytsEpoch, time.Date(m.Year, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	if from >= ytsEnd {
		from = ytsEnd - 86400*30
	}
	m.DateUploadedUnix = from + int64(r.intn(int(ytsEnd-from)))
	m.DateUploaded = time.Unix(m.DateUploadedUnix, 0).UTC().Format(time.DateTime)

	typ := "web"
	if r.intn(100) < 55 {
		typ = "bluray"
	}
	qualities := []string{"720p", "1080p"}
	switch r.intn(10) {
	case 0, 1:
		qualities = qualities[:1]
	case 2, 3:
		qualities = qualities[1:]
	}
	m.Torrents = make([]Torrent, len(qualities))
	for k, q := range qualities {
		perMinute := int64(6<<20 + r.intn(5<<20)) // 720p: 6-11 MiB a minute
		if q == "1080p" {
			perMinute *= 2
		}
		size := perMinute * int64(m.Runtime)
		hash := r.hex(40)
		m.Torrents[k] = Torrent{
			URL:       "https://yts.example/torrent/download/" + hash,
			Hash:      hash,
			Quality:   q,
			Type:      typ,
			Size:      humanSize(size),
			SizeBytes: size,
			Seeds:     r.intn(r.intn(2000) + 1),
			Peers:     r.intn(r.intn(400) + 1),
		}
	}
}

// imdbCode spells "tt" and seven digits.
func imdbCode(n uint64) string {
	var b [9]byte
	b[0], b[1] = 't', 't'
	for k := 8; k >= 2; k-- {
		b[k] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// humanSize spells a size the way YTS does: "1.06 GB", "845.55 MB".
func humanSize(b int64) string {
	var buf [24]byte
	if b >= 1<<30 {
		return string(append(strconv.AppendFloat(buf[:0], float64(b)/(1<<30), 'f', 2, 64), " GB"...))
	}
	return string(append(strconv.AppendFloat(buf[:0], float64(b)/(1<<20), 'f', 2, 64), " MB"...))
}
