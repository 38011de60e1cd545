package engine

import (
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	base := simConfig{slots: 4, perInput: ms(20), perRequest: ms(10), jitter: 0.2, net: ms(1) / 2, duration: 120 * time.Second}
	cases := map[string]simConfig{}
	cases["s4"] = base
	c := base; c.slots = 1; c.perInput = ms(50); c.perRequest = ms(20); cases["s1"] = c
	c = base; c.changes = []simChange{{60 * time.Second, 2}}; cases["s4to2"] = c
	c = base; c.slots = 2; c.changes = []simChange{{60 * time.Second, 4}}; cases["s2to4"] = c
	c = base; c.queue = 2; cases["q2"] = c
	c = base; c.queue = 1; cases["q1"] = c
	c = base; c.limiter.Fixed = 10; c.batch = 1; cases["guide"] = c
	c = base; c.slots = 1; c.perInput = ms(2); c.perRequest = ms(20); cases["gpu"] = c
	c = base; c.slots = 1; c.perInput = ms(1000); c.perRequest = ms(20); cases["slow"] = c
	c = base; c.slots = 16; c.perInput = ms(5); c.perRequest = ms(5); cases["s16"] = c
	for name, c := range cases {
		r := simulate(c)
		t.Logf("%s: reached97 %d; 0-20 %s; 20-60 %s; 60-80 %s; 80-120 %s", name, r.reached(0.97), r.summary(0, 20), r.summary(20, 60), r.summary(60, 80), r.summary(80, 120))
		var s string
		for i := 0; i < 120; i++ { s += " " + itoa(r.limMin[i]) + "-" + itoa(r.limMax[i]) }
		t.Log(s)
	}
}
func itoa(i int) string { return fmtInt(i) }
func fmtInt(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
