package hall

import "testing"

func TestPublicTicketHidesWhatStrangersMustNotSee(t *testing.T) {
	in := Ticket{Number: "A001", Token: "secret-token", PersonID: "2023123456", Channel: "demo-kiosk-students",
		Visits: []Visit{{Counter: 1, Note: "家庭困难，已核实"}}}
	p := in.Public()
	if p.Token != "" || p.Channel != "" || p.Visits[0].Note != "" {
		t.Fatalf("public view leaks: %+v", p)
	}
	if p.PersonID != "20******56" {
		t.Fatalf("person ID masked as %q", p.PersonID)
	}
	if in.Visits[0].Note == "" || in.Token == "" {
		t.Fatal("Public changed the original ticket")
	}
	if p.Number != "A001" || p.Visits[0].Counter != 1 {
		t.Fatalf("public view lost the number or the visit: %+v", p)
	}
}

func TestMaskPersonID(t *testing.T) {
	for in, want := range map[string]string{"": "", "1234": "****", "12345": "12*45"} {
		if got := MaskPersonID(in); got != want {
			t.Errorf("MaskPersonID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskedName: a name keeps its first character only when more follow; a one-character name
// is masked fully.
func TestMaskedName(t *testing.T) {
	for name, want := range map[string]string{"": "", "李": "*", "李四": "李*", "欧阳娜娜": "欧***", "Li": "L*"} {
		if got := (Requester{Name: name}).Masked().Name; got != want {
			t.Errorf("%q masked %q, want %q", name, got, want)
		}
	}
}
