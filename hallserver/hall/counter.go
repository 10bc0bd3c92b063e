package hall

// CounterState is whether a counter is taking people.
type CounterState string

// Counter states.
const (
	CounterClosed CounterState = "closed"
	CounterOpen   CounterState = "open"
	CounterPaused CounterState = "paused"
)

// Counter is a counter's live state.
type Counter struct {
	Hall     string       `json:"hall"`
	Number   int          `json:"number"`
	State    CounterState `json:"state"`
	Services []string     `json:"services"`          // service profile, in order of preference
	Current  string       `json:"current,omitempty"` // ID of the ticket called or being served
	Staff    string       `json:"staff,omitempty"`   // who opened it
}

// Counter actions accepted by POST /api/v1/halls/{hall}/counters/{n}/{action}.
const (
	ActCallNext  = "call-next"
	ActCall      = "call"
	ActRecall    = "recall"
	ActStart     = "start"
	ActFinish    = "finish"
	ActNoShow    = "no-show"
	ActReinstate = "reinstate"
	ActPark      = "park"
	ActResume    = "resume"
	ActTransfer  = "transfer"
	ActCancel    = "cancel"
	ActOpen      = "open"
	ActPause     = "pause"
	ActClose     = "close"
)

// CounterActions lists every counter action.
var CounterActions = []string{ActCallNext, ActCall, ActRecall, ActStart, ActFinish, ActNoShow,
	ActReinstate, ActPark, ActResume, ActTransfer, ActCancel, ActOpen, ActPause, ActClose}

// CounterAction is one request from counter staff.
type CounterAction struct {
	Hall    string `json:"-"`
	Counter int    `json:"-"`
	Action  string `json:"-"`
	Actor   string `json:"-"` // username of the staff member

	// Ticket names the ticket for call, park, resume, reinstate, cancel, transfer (by number, e.g.
	// "A012", or by ID); empty means the counter's current ticket where that makes sense.
	Ticket string `json:"ticket,omitempty"`
	// Outcome for finish (default resolved).
	Outcome Outcome `json:"outcome,omitempty"`
	// ToService and ToCounter are the transfer target (one of them); Placement where it goes.
	ToService string    `json:"toService,omitempty"`
	ToCounter int       `json:"toCounter,omitempty"`
	Placement Placement `json:"placement,omitempty"`
	Note      string    `json:"note,omitempty"`
	// CaseID, for finish with outcome case_opened, links the ticket to the case the counter opened
	// for it (只进一门): the ticket's follow page then follows that case too.
	CaseID string `json:"caseId,omitempty"`
}
