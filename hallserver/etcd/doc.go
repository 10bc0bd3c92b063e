// Package etcd is the store of the halls' queue logs, of the case system and of the staff and
// device accounts with their sessions and audit entries on an etcd v3 cluster (docs/HA.md): it
// implements enginehost.QueueStore and enginehost.CaseStore (with the attachments'
// enginehost.BlobStore and the webhook deliverers' cursor store), hall.AuthService,
// hall.AdminService and hall.RequesterService, so that several hall servers share one replicated
// state and one of them, the owner chosen by an etcd lease election (owner.go), writes it.
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
// 1.5 MiB): the store says what fits (Fits: at most MaxTxnOps operations and MaxTxnBytes, counted
// from above) and the engine host's committer closes each batch before it would exceed that
// (enginehost.BatchLimiter), so every batch is one Txn, all or nothing. Commit refuses a batch that
// does not fit (ErrTooBig) before writing anything; a single change too big for a Txn (e.g. a day
// reset cancelling more than about 55 waiting tickets) is refused by the host with nothing written.
//
// The case system (casestore.go, blobs.go, delivery.go), under the same prefix, as the bbolt
// store's format 2 (hallserver/bolt/caseformat.go: no full copy of a case per event):
//
//	c/meta                        the cases.Meta (JSON), with the Txn that ends each change
//	c/rec/{id}                    a case's record: the case without its timeline (JSON)
//	c/tl/{id}/{i:%06d}            its timeline entries, each written once
//	c/ev/{seq:%020d}              the case events: the event with its case's head (the case without
//	                              its append-only lists) and those lists' lengths ("lens"); replay
//	                              fills the lists from the case's current ones
//	c/num/{NUMBER}, c/tok/{token} → case ID (written once, when opened)
//	c/recv/{received:%020d}/{id}  the received index (UnixNano), for reports
//	c/open/{id}                   the open cases (loaded by a new owner)
//	c/closed/{dept}\x00{received:%020d}/{id}  final cases by department ("" for all), newest last
//	c/req/{source}\x00{account}\x00{received:%020d}/{id}, c/reqof/{id}  the requester index
//	c/search/{term}\x00{id}        the search index (cases.SearchTerms); c/terms/{id} a case's terms
//	c/learned/{seq:%020d}/{i:%05d} router examples learned by re-routings
//	c/forgot/{username}           re-routes forgotten up to a seq (JSON {seq, at})
//	c/idem/{source}\x00{key}       idempotency records of Open (JSON {id, at})
//	c/blob/{sha256}/c{i:%06d}     attachment bytes in 256 KiB chunks; c/blob/{sha256}/meta last
//	dlv/cursor/{name}             a webhook deliverer's cursor (decimal seq)
//	dlv/note/{name}/{seq:%020d}   its dead-letter notes
//
// A case commit reads, for the batch's cases already stored, their timeline count and search
// terms, then writes in fenced Txns within the same limits: whole changes when they fit, else a
// change is cut between cases (search terms gained first, then its events, its cases, its
// examples and idempotency record, the meta with the Txn that ends the change, terms lost last),
// so the log's seq moves only once the change is whole. Should such a change fail half-way (it
// was not acknowledged), its events are past the meta's seq, never read, and overwritten by the
// next ones; some of its cases may be written as the change left them, without their events
// ("failed but durable", which the queue store no longer has, for a change of more than
// the Txn limit only: a tick touching many cases, a text with hundreds of search terms). The
// limit is MaxTxnOps, or the cluster's --max-txn-ops less room to spare when the owner probed it
// (ProbeMaxTxnOps, SetMaxTxnOps; the queue store's too).
//
// Accounts, sessions and their audit entries (auth.go, requesters.go, audit.go; the rules shared
// with the bbolt store are in hallserver/authkit):
//
//	auth/staff/{username}         a staff account (JSON hall.Staff, with its bcrypt hash)
//	auth/dev/{hex SHA-256(token)} an enrolled device (JSON hall.Device): the token itself is never stored
//	auth/devrev/{device id}       a revoked device (JSON hall.DeviceRecord), for the admin list
//	auth/sess/{hex SHA-256(token)}  a staff session (JSON {username, expires}); expired ones are
//	                              dropped at each sign-in
//	rq/sess/{hex SHA-256(token)}  a requester session (CAS, WeChat Work; JSON {identity, created,
//	                              expires}), at most MaxRequesterSessions (the expired, then the
//	                              oldest make room)
//	audit/{hex time ns}{hex n}    an audit entry (JSON hall.AuditEntry): sign-ins and their
//	                              failures, sign-outs, staff and device changes. The key is the
//	                              time and 8 bytes (a counter and a number drawn per store) so keys
//	                              sort by time and two servers never collide. bolt.Audit reads
//	                              them (WithTrail) with the counter actions of q/ev/ (WithHallLogs)
//	                              and the case actions of c/ev/ (WithCaseLog; hallaudit.go);
//	                              pruning is one DeleteRange.
//
// Which writes are fenced: everything done through the API (sign-in and its failures, sign-out,
// AddStaff, UpdateStaff, EnrolDevice, RevokeDevice, the campus sign-on, requester sessions, audit
// Record and pruning) is fenced on the owner's election key like the queue's commits: only the
// owner serves the API, and a server that lost its lease commits none of it. A change and its
// audit entries are one Txn; read-modify-writes (UpdateStaff, RevokeDevice, Logout) also compare
// the mod revision of what they read. CreateStaff and CreateDevice (the -demo seed, which every
// server runs at start, before owning anything) are not fenced: they are compare-and-swaps on the
// account's key (its mod revision as read), so two servers seeding together neither fail nor
// write an account twice, and neither overwrites a change it did not read.
//
// Authentication is read on every API request: Auth caches resolved tokens in memory, and uses
// the cache only while a watch on auth/ runs (every event clears it; a broken watch turns it off
// until it is back). Without the cache a token costs a linearizable Txn and a Get.
package etcd
