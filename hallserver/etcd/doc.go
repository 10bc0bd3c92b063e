// Package etcd is the store of the halls' queue logs on an etcd v3 cluster (docs/HA.md): it
// implements enginehost.QueueStore, so that several hall servers share one replicated state and
// one of them, the owner chosen by an etcd lease election (owner.go), writes it.
//
// Key layout (all under the prefix given to NewQueueStore, "/onedoor/" in hallserver):
//
//	q/meta/{hall}                 the hall's queue.Meta (JSON), written with every change
//	q/ev/{hall}/{seq:%020d}       the hall's events (JSON hall.Event), one key per seq: replay is a range read
//	q/t/{ticket id}               every ticket (JSON hall.Ticket)
//	q/tok/{follow token}          → ticket id (written once, when issued)
//	q/gen/{hall}                  the generation of the hall's open index (decimal)
//	q/open/{hall}/{gen:%020d}/{id}  the open tickets (open states and no-shows), full JSON: a hall
//	                              loads with one range read. A day reset moves to the next generation
//	                              and drops the old one with one DeleteRange.
//	q/idem/{hall}/{key}           idempotency records (JSON {id, at, seq})
//
//	s/{bucket}/{key}              the services beside the queues (stores.go), with package bolt's
//	                              bucket names, keys and values, so hallctl migrate copies them 1:1:
//	s/appt/{id}                   a booking (JSON hall.Appointment); IDs ap000001… from s/seq/appt
//	s/appt.token/{token}          → booking ID
//	s/appt.day/{hall}/{day}/{id}  "" (the hall's bookings of a local date: one range read)
//	s/appt.who/{identity}\x00{day}\x00{id}  "" (a requester's bookings, latest day first)
//	s/appt.ver/{hall}/{day}       the day's version: every change of that day's bookings rewrites
//	                              it, and a booking's Txn compares it (etcd's own, not migrated)
//	s/visit.ratings/{ticket id}   a visit rating (JSON hall.VisitRating), checked against q/t/
//	s/topics.answers/{topic id}   a published topic answer; s/topics.cases/{case id} → topic id
//	s/longlist/{QD-nnn}           a long-standing list item; IDs from s/seq/longlist
//	s/notify.outbox/{key}         a waiting notice; s/notify.sent/{key} → delivered at (8 bytes,
//	                              big-endian ns); s/notify.cursor/{name} → seq (8 bytes): the
//	                              notifier's cursors (bolt's outbox.cursor "notify", "notify.hall.*")
//	s/seq/{bucket}                the last ID number of appt and longlist (bbolt's NextSequence)
//
// The service stores write optimistically: an attempt reads at one revision, computes (the
// booking rules of hall.Appointment.Place, …), and commits one Txn that compares the owner's
// election key (the fence) and the mod revision of every key it read (for a range, the version
// key that every change of the range rewrites): when another write came between, the attempt
// runs again on fresh reads; when the fence fails, ErrNotOwner (503, nothing changed).
//
// Group commit: a batch of changes becomes one Txn (every key once: later changes of the batch
// win), fenced with a compare on the owner's election key (its create revision), so a server that
// lost its lease can never commit. etcd bounds a Txn (--max-txn-ops, 128 by default; request size
// 1.5 MiB): a batch that needs more is cut between changes into several Txns committed in order,
// each fenced. Should one of those fail, the changes before it are durable although the host
// reports the whole batch failed (and reloads the halls from etcd): retries of issues carry an
// idempotency key and get the same ticket; seqs stay gap-free because each Txn carries whole
// changes in order and the meta of its last one.
package etcd
