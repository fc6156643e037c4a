package imapsync_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Issue #13, item 5 (failed before: the connection test told a refused
// port from one speaking another protocol, a port scanner of the internal
// network): through the server's guard, an internal host gets one answer,
// host_not_allowed, for an open port, a closed port and a TLS port alike,
// and nothing is sent to it.
func TestConnectionTestCannotScanInternalHosts(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	guard := netguard.New(nil, nil)
	var msgs []string
	for _, addr := range []string{open.Addr().String(), closedAddr} {
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		s := model.ChannelSettings{IMAP: model.ServerConf{Host: host, Port: p, Encryption: "tls", Username: "x"},
			SMTP: model.ServerConf{Host: host, Port: p, Encryption: "starttls", Username: "x"}}
		rep := imapsync.CheckConnection(context.Background(), s, "secret", "secret", imapsync.CheckOptions{Dial: guard.DialContext})
		if len(rep.Problems) != 2 {
			t.Fatalf("%s: problems %v", addr, rep.Problems)
		}
		for _, pr := range rep.Problems {
			if pr.Code != providers.CodeHostNotAllowed {
				t.Fatalf("%s: %s, want host_not_allowed", addr, pr.Code)
			}
			msgs = append(msgs, strings.ReplaceAll(pr.Message("en"), port, "PORT"))
		}
	}
	if msgs[0] != msgs[2] || msgs[1] != msgs[3] {
		t.Fatalf("open and closed ports answer differently:\n%s", strings.Join(msgs, "\n"))
	}
	if len(accepted) != 0 {
		t.Fatal("the guard connected to the internal host")
	}
}
