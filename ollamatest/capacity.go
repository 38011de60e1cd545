package ollamatest

import (
	"context"
	"errors"
	"time"
)

var errBusy = errors.New(MsgBusy)

// admit queues a request and returns once it holds a slot. The caller must
// call release with the time admit returned.
func (s *Server) admit(ctx context.Context) (time.Time, error) {
	s.mu.Lock()
	if s.cfg.QueueLimit > 0 && s.st.Pending >= s.cfg.QueueLimit {
		s.st.Rejected503++
		s.notifyLocked()
		s.mu.Unlock()
		return time.Time{}, errBusy
	}
	s.st.Pending++
	s.st.MaxPending = max(s.st.MaxPending, s.st.Pending)
	s.notifyLocked()
	s.mu.Unlock()

	err := s.payRequest(ctx)
	if err == nil {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	now := time.Now()
	s.mu.Lock()
	s.st.Pending--
	if err == nil {
		s.st.Holding++
	}
	s.notifyLocked()
	s.mu.Unlock()
	return now, err
}

func (s *Server) payRequest(ctx context.Context) error {
	select {
	case s.reqLock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.reqLock }()
	start := time.Now()
	err := sleep(ctx, s.cfg.CostPerRequest)
	s.mu.Lock()
	s.st.RequestTime += time.Since(start)
	s.mu.Unlock()
	return err
}

// hold is the evaluation of n inputs in the slot the request holds: it
// waits at the gate, if one is closed, then for n×CostPerInput.
func (s *Server) hold(ctx context.Context, n int) error {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return sleep(ctx, time.Duration(n)*s.cfg.CostPerInput)
}

func (s *Server) release(acquired time.Time) {
	<-s.slots
	s.mu.Lock()
	s.st.Holding--
	s.st.BusyTime += time.Since(acquired)
	s.notifyLocked()
	s.mu.Unlock()
}

// Gate closes a gate in front of the evaluation: requests that take a
// slot from now on wait there, holding their slot, until release is
// called (or their client goes away). With CostPerInput 0 it makes the
// server's occupancy a test's choice, without sleeps:
//
//	release := s.Gate()
//	// send requests; s.Await(ctx, func(st Stats) bool { return st.Holding == 1 && st.Pending == 2 })
//	release()
//
// release may be called more than once. Close releases an open gate.
func (s *Server) Gate() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	old := s.gate
	s.gate = ch
	s.mu.Unlock()
	if old != nil {
		close(old) // a new gate replaces the old one; its waiters go on
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gate == ch {
			s.gate = nil
			close(ch)
		}
	}
}

func (s *Server) openGate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// Await blocks until cond holds for the server's statistics, checking each
// time they change, or until ctx ends. Tests use it to wait for a state
// (requests pending, slots held, a count reached) instead of sleeping.
func (s *Server) Await(ctx context.Context, cond func(Stats) bool) error {
	for {
		s.mu.Lock()
		st := s.statsLocked()
		ch := s.changed
		s.waiters++
		s.mu.Unlock()
		if cond(st) {
			s.unwait()
			return nil
		}
		select {
		case <-ch:
			s.unwait()
		case <-ctx.Done():
			s.unwait()
			return ctx.Err()
		}
	}
}

func (s *Server) unwait() {
	s.mu.Lock()
	s.waiters--
	s.mu.Unlock()
}

// notifyLocked wakes the Await calls; s.mu must be held.
func (s *Server) notifyLocked() {
	if s.waiters > 0 {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
