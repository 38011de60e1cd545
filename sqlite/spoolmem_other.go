//go:build !linux

package sqlite

// allocSlab: elsewhere the slabs are Go memory (nil: make one).
func allocSlab(int) []float32 { return nil }

func freeSlab([]float32) {}
