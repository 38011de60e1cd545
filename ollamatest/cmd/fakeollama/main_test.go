package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunUntilStdinCloses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dims", "8", "-slots", "2", "-cost-per-input", "1ms"}, stdinR, outW, io.Discard)
		outW.Close()
	}()
	out := bufio.NewReader(outR)
	url, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q: %v", url, err)
	}
	url = strings.TrimSpace(url)
	for range 3 {
		resp, err := http.Post(url+"/api/embed", "application/json", strings.NewReader(`{"model":"nomic-embed-text","input":["a","b"]}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	stdinW.Close()
	var r struct {
		Requests    int     `json:"requests"`
		Embedded    int     `json:"embedded"`
		Slots       int     `json:"slots"`
		Utilization float64 `json:"utilization"`
		WallSeconds float64 `json:"wall_seconds"`
		BusySeconds float64 `json:"busy_seconds"`
	}
	if err := json.NewDecoder(out).Decode(&r); err != nil {
		t.Fatalf("statistics: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.Requests != 3 || r.Embedded != 6 || r.Slots != 2 || r.BusySeconds < 0.006 || r.Utilization <= 0 || r.Utilization > 1 || r.WallSeconds <= 0 {
		t.Errorf("statistics %+v", r)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-slots", "x"}, {"-addr", "256.0.0.1:0"}, {"-nope"}} {
		if err := run(context.Background(), args, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
