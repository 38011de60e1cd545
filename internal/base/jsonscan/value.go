package jsonscan

// Value reads any value as [Scanner.Skip] does and returns its text, a view
// into the document without the white space around it.
func (s *Scanner) Value() ([]byte, bool) {
	s.ws()
	start := s.i
	if !s.skip(0) {
		return nil, false
	}
	return s.b[start:s.i], true
}
