// Package kiosk is OneDoor's self-service kiosk: the touchscreen flow that issues queue tickets,
// prints them, and logs walk-in requests (consultations, complaints, suggestions) into the case
// system.
//
// The package has three layers, so that each can be tested on its own:
//
//   - Flow is the state machine: screens, language, the person's choices, timers (idle 60 s,
//     result 20 s), server reachability, the printer's state. It knows no widgets; every side
//     effect goes through the interfaces Server, Printer, DeviceReporter and CaseSubmitter, and
//     walk-in requests go through a Spool (a bbolt file on the kiosk) so that none is lost while
//     the hall server is away. The kiosk reaches the server only through hallserver/client.
//   - Run connects a Flow to the world: the hall's event stream (live counts and ETAs), a clock
//     ticker, the printer status poll and the spool delivery.
//   - UI renders a Flow's State with Fyne widgets and turns touches into Flow calls. It never
//     imports fyne.io/fyne/v2/app (cmd/kiosk does), so its tests run headless with
//     fyne.io/fyne/v2/test.
//
// Every string shown comes from one catalogue (catalog.go), Chinese first.
package kiosk
