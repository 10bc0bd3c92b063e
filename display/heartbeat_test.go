package display

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// TestDisplaySendsHeartbeats: a running display tells the server it is alive and its version,
// so the hall's staff see it in the device list (and would see it silent when it stops).
func TestDisplaySendsHeartbeats(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctrl := NewController(Config{Client: client.New(srv.ts.URL, "display"), Hall: "students", Version: "2.0.1"})
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx) }()
	var devs []hall.DeviceHealth
	eventually(t, 10*time.Second, "the display in the device list", func() bool {
		var err error
		devs, err = srv.staff.DeviceHealth(ctx, "students")
		return err == nil && len(devs) == 1 && devs[0].Role == hall.RoleDisplay && devs[0].Version == "2.0.1" && devs[0].State == hall.HealthOK
	})
	cancel()
	<-done
}
