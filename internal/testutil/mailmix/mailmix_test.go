package mailmix

import (
	"bytes"
	"testing"
)

func TestMixShapes(t *testing.T) {
	var total [3]int
	var count [3]int
	for i := 0; i < 40; i++ {
		m := Message(i)
		if !bytes.Equal(m, Message(i)) {
			t.Fatalf("message %d is not deterministic", i)
		}
		total[KindOf(i)] += len(m)
		count[KindOf(i)]++
	}
	if count[Text] != 28 || count[HTML] != 10 || count[Attachment] != 2 {
		t.Fatalf("counts = %v, want 70%%/25%%/5%%", count)
	}
	for k, want := range map[Kind][2]int{Text: {4 << 10, 8 << 10}, HTML: {45 << 10, 70 << 10}, Attachment: {2 << 20, 3 << 20}} {
		avg := total[k] / count[k]
		if avg < want[0] || avg > want[1] {
			t.Errorf("%s: average size %d, want %d..%d", k, avg, want[0], want[1])
		}
	}
	if !bytes.Contains(Message(0), []byte("\r\n\r\n")) {
		t.Fatal("no header/body separator")
	}
}
