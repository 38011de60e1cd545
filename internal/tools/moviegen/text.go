package moviegen

import (
	"bytes"
	"strconv"
	"strings"
)

// rng is splitmix64. It is written out here rather than taken from
// math/rand so that a seed gives the same catalog under every Go release.
type rng struct{ s uint64 }

// Salts separate the streams of one record: its content (shared by a
// duplicate and its original) and its release details (never shared).
const (
	saltContent = 0x636f6e74656e74
	saltRelease = 0x72656c65617365
)

// newRNG returns the stream of one record. Hashing the index (rather than
// stepping by it) keeps neighbouring records' streams unrelated.
func newRNG(seed, index, salt uint64) rng {
	return rng{s: mix64(mix64(seed^salt) + index)}
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a number in [0, n) for 0 < n < 2^32; the bias of the
// multiply-shift reduction is far below what a test could notice.
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

func (r *rng) pick(list []string) string { return list[r.intn(len(list))] }

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// token returns n characters of YouTube's video-id alphabet.
func (r *rng) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenAlphabet[r.next()>>58]
	}
	return string(b)
}

// hex returns n upper-case hex digits, as YTS spells torrent hashes.
func (r *rng) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789ABCDEF"[r.next()>>60]
	}
	return string(b)
}

var languages = []string{"fr", "es", "de", "it", "ja", "ko", "sv", "pt"}

var mpaRatings = []string{"G", "PG", "PG", "PG-13", "PG-13", "PG-13", "R", "R", "R", "NC-17"}

// fillContent sets what describes the film itself; a duplicate gets the
// same content as its original because it is drawn from the same stream.
func fillContent(m *Movie, r *rng, scratch *scratch) {
	// Squaring a uniform draw favors recent years, as in YTS's catalog.
	u := r.intn(1000)
	m.Year = 2024 - 75*u*u/1_000_000
	m.Title = title(r)
	m.TitleEnglish = m.Title
	m.TitleLong = m.Title + " (" + strconv.Itoa(m.Year) + ")"
	m.Slug = slug(m.Title) + "-" + strconv.Itoa(m.Year)
	m.Rating = Rating(float64(25+r.intn(23)+r.intn(23)+r.intn(23)) / 10)
	m.Runtime = 78 + r.intn(40) + r.intn(40)
	if r.intn(25) == 0 {
		m.Runtime += 40 + r.intn(60) // the occasional epic
	}
	m.Genres = genres(r)
	m.Summary = summary(r, scratch)
	m.DescriptionFull = m.Summary
	m.Synopsis = m.Summary
	m.Language = "en"
	if r.intn(100) < 12 {
		m.Language = r.pick(languages)
	}
	if r.intn(100) >= 15 {
		m.MPARating = r.pick(mpaRatings)
	}
}

// genres picks one to three distinct genres, listed in YTS's order.
func genres(r *rng) []string {
	k := 1 + r.intn(3)
	var chosen uint32
	for n := 0; n < k; {
		g := r.intn(len(Genres))
		if chosen&(1<<g) == 0 {
			chosen |= 1 << g
			n++
		}
	}
	out := make([]string, 0, k)
	for g, name := range Genres {
		if chosen&(1<<g) != 0 {
			out = append(out, name)
		}
	}
	return out
}

var titleJourneys = []string{
	"Last Train to", "Return to", "Letters from", "Escape from", "The Road to",
	"A Long Way from", "Goodbye,", "No Way Out of",
}

var titleLeads = []string{
	"Midnight", "Murder", "Summer", "Winter", "Sunday", "Dusk", "Trouble",
	"Love", "Death", "Silence", "Thunder", "Strangers",
}

func town(r *rng) string { return r.pick(placeHeads) + " " + r.pick(placeTails) }

func title(r *rng) string {
	switch r.intn(12) {
	case 0, 1, 2:
		return "The " + r.pick(titleAdjs) + " " + r.pick(titleNouns)
	case 3:
		return r.pick(titleLeads) + " in " + town(r)
	case 4:
		return "The " + r.pick(titleNouns) + " of " + town(r)
	case 5:
		return r.pick(titleAdjs) + " " + r.pick(titleNouns)
	case 6:
		return r.pick(firstNames) + "'s " + r.pick(titleNouns)
	case 7:
		return r.pick(titleAdjs) + " " + r.pick(titleNouns) + ": " + r.pick(titleSubtitles)
	case 8:
		return r.pick(titleNouns) + " & " + r.pick(titleNouns)
	case 9:
		return town(r)
	case 10:
		return "The " + r.pick(titleNouns) + " " + []string{"II", "III", "2", "3"}[r.intn(4)]
	default:
		return r.pick(titleJourneys) + " " + town(r)
	}
}

// slugFold spells the non-ASCII letters of the word lists in ASCII.
var slugFold = map[rune]string{
	'é': "e", 'ë': "e", 'ü': "u", 'ó': "o", 'í': "i", 'ã': "a", 'ç': "c", 'Ó': "o",
}

// slug lower-cases a title into YTS's URL form: "Zoë's Harbor" → "zoes-harbor".
func slug(t string) string {
	var b strings.Builder
	dash := false
	for _, c := range t {
		switch {
		case c == '\'':
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteRune(c)
		case 'A' <= c && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		case slugFold[c] != "":
			b.WriteString(slugFold[c])
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
	}
	return strings.TrimSuffix(b.String(), "-")
}

// scratch holds buffers reused from one record to the next.
type scratch struct{ text, closer []byte }

// cast is who and what one summary talks about.
type cast struct {
	full, first, role, place, conflict string
	ally, allyName, villain, goal      string
	secret, time                       string
}

const (
	minWords = 40
	maxWords = 90
)

// summary writes a blurb of minWords to maxWords words: an opener, middle
// sentences up to a target length, and a closer.
func summary(r *rng, scratch *scratch) string {
	c := cast{
		first:    r.pick(firstNames),
		role:     r.pick(roles),
		conflict: r.pick(conflicts),
		ally:     r.pick(allies),
		allyName: r.pick(firstNames),
		villain:  r.pick(villains),
		goal:     r.pick(goals),
		secret:   r.pick(secrets),
		time:     r.pick(times),
	}
	for c.allyName == c.first {
		c.allyName = r.pick(firstNames)
	}
	c.full = c.first + " " + r.pick(lastNames)
	if r.intn(10) < 6 {
		c.place = town(r)
	} else {
		c.place = r.pick(cities)
	}
	target := 50 + r.intn(36)

	buf := c.render(scratch.text[:0], r.pick(openers))
	closer := c.render(scratch.closer[:0], r.pick(closers))
	words, closerWords := countWords(buf), countWords(closer)
	var used uint64
	for tries := 0; words+closerWords < target && tries < 2*len(middles); tries++ {
		k := r.intn(len(middles))
		if used&(1<<k) != 0 {
			continue
		}
		mark := len(buf)
		buf = c.render(append(buf, ' '), middles[k])
		if n := countWords(buf[mark+1:]); words+n+closerWords <= maxWords {
			used |= 1 << k
			words += n
		} else {
			buf = buf[:mark]
		}
	}
	buf = append(append(buf, ' '), closer...)
	scratch.text, scratch.closer = buf, closer
	return string(buf)
}

// render expands a sentence template and capitalises the first letter of
// each sentence, since some sentences open with a placeholder such as "{C}".
func (c *cast) render(dst []byte, tmpl string) []byte {
	start := len(dst)
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '{' || i+2 >= len(tmpl) || tmpl[i+2] != '}' {
			dst = append(dst, tmpl[i])
			continue
		}
		dst = append(dst, c.slot(tmpl[i+1])...)
		i += 2
	}
	for i := start; i < len(dst); {
		if 'a' <= dst[i] && dst[i] <= 'z' {
			dst[i] -= 'a' - 'A'
		}
		next := bytes.Index(dst[i:], []byte(". "))
		if next < 0 {
			break
		}
		i += next + 2
	}
	return dst
}

func (c *cast) slot(k byte) string {
	switch k {
	case 'P':
		return c.full
	case 'p':
		return c.first
	case 'R':
		return c.role
	case 'L':
		return c.place
	case 'C':
		return c.conflict
	case 'A':
		return c.ally
	case 'a':
		return c.allyName
	case 'V':
		return c.villain
	case 'G':
		return c.goal
	case 'S':
		return c.secret
	case 'T':
		return c.time
	}
	panic("moviegen: unknown placeholder {" + string(k) + "}")
}

// countWords counts space-separated words; templates never hold double
// spaces, and no byte of a multi-byte UTF-8 character is a space.
func countWords(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return bytes.Count(b, []byte{' '}) + 1
}
