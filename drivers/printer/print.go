package printer

import (
	"context"
	"errors"
	"fmt"

	"onedoor/drivers/escpos"
)

// Print checks the status, writes job and checks the status again. It
// returns the last status read and, if anything stopped the job, an error
// with a kind (ErrPaperOut, ErrCoverOpen, ErrNoReply, ErrWriteFailed…).
// When the status check is not supported (ErrNoStatus) the job is written
// unchecked. A nil error with st.PaperNearEnd set means printed, but staff
// should change the roll soon.
func Print(ctx context.Context, p Printer, job []byte) (escpos.Status, error) {
	st, err := check(ctx, p)
	if err != nil {
		return st, err
	}
	if err := p.Write(ctx, job); err != nil {
		return st, err
	}
	after, err := check(ctx, p)
	if err != nil {
		return after, err
	}
	if after.Have == ([5]bool{}) {
		return st, nil // no status support: report the (empty) first one
	}
	return after, nil
}

func check(ctx context.Context, p Printer) (escpos.Status, error) {
	st, err := p.Status(ctx)
	if errors.Is(err, ErrNoStatus) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := StatusError(st); err != nil {
		if s, ok := p.(fmt.Stringer); ok {
			err.(*Error).Spec = s.String()
		}
		return st, err
	}
	return st, nil
}

// PrintTicket lays out a queue ticket for prof and prints it with Print.
func PrintTicket(ctx context.Context, p Printer, prof escpos.Profile, t escpos.TicketData) (escpos.Status, error) {
	job, err := escpos.Ticket(prof, t)
	if err != nil {
		return escpos.Status{}, fmt.Errorf("printing ticket: %w", err)
	}
	return Print(ctx, p, job)
}

// PrintCaseReceipt lays out a case receipt for prof and prints it with Print.
func PrintCaseReceipt(ctx context.Context, p Printer, prof escpos.Profile, c escpos.CaseReceiptData) (escpos.Status, error) {
	job, err := escpos.CaseReceipt(prof, c)
	if err != nil {
		return escpos.Status{}, fmt.Errorf("printing case receipt: %w", err)
	}
	return Print(ctx, p, job)
}
