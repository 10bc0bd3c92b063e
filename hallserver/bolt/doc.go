// Package bolt is the bbolt store of OneDoor: everything the hall server keeps, in one bbolt file
// (the embedded default store). It implements the stores under the queue and case services
// (enginehost.QueueStore, enginehost.CaseStore) and the services that have no engine (Auth,
// Topics, LongList, DeliveryStore), checks the file before opening it, takes backups and reports
// the storage's health. This comment is the one description of the file's layout; the pages
// in docs/ point here.
//
// # Files
//
//	doc.go         this layout and the bucket names
//	bolt.go        Open, the DB, snapshots, backup and restore of the file
//	check.go       the checks before the file is opened for writing (docs/STORAGE.md)
//	storage.go     storage health for /healthz (last commit error, free space, the probe)
//	logstore.go    what the two log stores share: the commit transaction (failpoint, health),
//	               event encoding and reading, idempotency records
//	queuestore.go  enginehost.QueueStore: tickets, open index, hall events, meta, idem
//	queuewal.go    the queues' write-ahead log: group commit, overlay, checkpoints, replay
//	queuemigrate.go the queue buckets as store-neutral records, read and written (hallctl
//	               migrate to and from etcd, docs/HA.md); no bucket of its own
//	casestore.go   enginehost.CaseStore: cases and their indexes, case events, learned examples
//	caseformat.go  how a case and a case event are stored (format 2), reading them back, and the
//	               migration of files written before it
//	history.go     LoadHistory: a year of tickets and cases in a new file (hallctl history; the
//	               start-up and report measurements of docs/PERFORMANCE.md)
//	queue.go       bolt.Queue / NewQueue: the queue service (enginehost.Queue) on queuestore
//	campus.go      the stored campus and its version: seeding, the record of a live change
//	cases.go       bolt.Cases / NewCases: the case service (enginehost.Cases) on casestore
//	auth.go        Auth (hall.AuthService): staff, devices, sessions
//	staffadmin.go  Auth as hall.AdminService: staff and device administration, with audit entries
//	audit.go       Audit (hall.AuditLog): the audit bucket, PutAudit, reading the trail, pruning
//	topics.go      Topics (hall.TopicService): hot topics and their answers
//	longlist.go    LongList (hall.LongListService): the long-standing issues list
//	visitrating.go VisitRatings (the store of enginehost.Ratings): the visit ratings (好差评)
//	queuereport.go QueueReports (kpi.Source): a hall's events of a time range (events/{hall} by
//	               binary search on the events' times, then the WAL's overlay, as the audit trail
//	               reads them) and a day's visit ratings (a prefix of visit.ratings); no bucket of
//	               its own: the queue reports' cache of closed days is in memory (package kpi)
//	delivery.go    DeliveryStore: the webhook deliverers' cursors and dead-letter notes
//	notify.go      NoticeStore: the notification outbox (package notify) and its dedupe keys
//	attachments.go enginehost.BlobStore on the case store: attachment bytes by content hash
//	requesters.go  Requesters (hall.RequesterService): identified requesters' sessions and the
//	               index of the cases they opened (issue 15, docs/IDENTITY.md)
//
// # Layout
//
// All buckets are top-level. Integers in keys are 8-byte big-endian (so keys sort by them); seqs
// count from 1 per log; times in keys are Unix nanoseconds. Values are JSON of the named type
// (encoding/json, field names as in their struct tags) unless said otherwise; "nil" is an empty
// value (an index entry).
//
// The halls' queues (queuestore.go), one log per hall; {hall} is the hall code:
//
//	tickets        ticket ID → hall.Ticket, every ticket ever issued, as of its last change
//	               (ticket ID: {hall}-{yyyymmdd}-{seq of the issue})
//	tokens         follow token (32 base32 characters) → ticket ID; written once, at the issue.
//	               Tokens issued since issue 19 start with the issue time (ms, 6 bytes) in an
//	               ASCII-ordered base32 alphabet, so new keys go at the end of the index;
//	               older tokens are fully random (both are looked up the same way)
//	open/{hall}    ticket ID → nil, for tickets the engine must restore (open states and no-shows
//	               that may still be reinstated); start-up reads only this and meta. A day reset
//	               deletes and recreates the bucket from the tickets of its change.
//	events/{hall}  seq → hall.Event: the hall's log (the spine)
//	meta           hall code → queue.Meta (numbers, counters, seq, clock, wait statistics,
//	               device reports, the device roster and active device alerts; the devices'
//	               heartbeats themselves are soft state, never written: docs/DEVICES.md)
//	idem           {hall} + "/" + idempotency key → {"id": ticket ID, "at": time stored,
//	               "seq": seq of the ticket's issue event, omitted when 0 (records written before
//	               it was kept)}; pruned after IdempotencyTTL
//
//	campus         "current" → {"version": n, "campus": hall.Campus}: the campus the server runs
//	               with (halls, services, counters and profiles, departments, calendar; the
//	               JSON keys are the campus YAML's). Seeded once from the YAML at the first start
//	               (SeedCampus, version 1); later starts use it whatever YAML is given (the
//	               server logs a difference). A live change (enginehost Queue.ApplyCampus, PUT
//	               /api/v1/admin/campus) writes it in the same WAL record as every hall's
//	               reconfiguration (campus.go): a crash leaves the old campus or the new one
//
//	wal            "applied" → LSN (8 bytes) of the last WAL record a checkpoint wrote (below)
//
// The queue write-ahead log (queuewal.go). The halls' queue changes are not written to the
// buckets above by the group commit itself but appended to a WAL next to the file and
// fdatasync'd (then acknowledged and published); a checkpoint writes them to the buckets every
// 100 ms (or 4,096 changes) in one bbolt transaction, with wal/applied, and reads look at the
// changes not yet checkpointed (kept in memory) before the file. Open replays the records after
// wal/applied into the file and deletes the segments; Close checkpoints and deletes them too,
// so a file whose server stopped cleanly has no WAL (a file of the layout before the WAL is one
// with no segments and no "wal" bucket: it opens as is). Files, next to the data file PATH:
//
//	PATH-wal-XXXXXXXXXXXXXXXX  a segment: "ODQWAL1\n", its first LSN (8 bytes, big-endian), then
//	                           records: length (4 bytes) and CRC-32C (4 bytes) of the payload,
//	                           the payload = LSN (8 bytes) + the changes of one group commit
//	                           (queueWrite.appendTo: hall, flags (day reset; 2: the campus record), tickets
//	                           and open flag, events, idempotency record, meta JSON; the JSON
//	                           values as in the buckets). LSNs go up by one; the first record
//	                           that is torn, fails its CRC or is not the next LSN ends the log
//	PATH-wal-spareN            a checkpointed segment kept for reuse: the next segment is made
//	                           from it and written over (records left in it have older LSNs)
//
// A restore (RestoreFile) deletes the WAL of the file it replaces.
//
// The case system (casestore.go, caseformat.go), one log. Each case is stored once: its record
// and its timeline entries; each event holds what the event says and the case's small part as it
// was then, never the case's lists (format 2, since issue 19; before, every event held a full
// copy of its case and each record its timeline, so a case's events grew with the square of its
// timeline):
//
//	cases           case ID → hall.Case without its timeline ("timeline": null), as of its last
//	                change; every case ever opened (case ID: case-{yyyymmdd}-{seq of the opening})
//	cases.timeline  case ID + 0x00 + index (4 bytes) → hall.CaseEntry: the case's timeline, one
//	                entry per key, written once (the engine only appends to a timeline)
//	cases.number    case number → case ID (written once)
//	cases.token     follow token → case ID (written once)
//	cases.open      case ID → nil, for cases not final: start-up reads only this and the meta
//	cases.received  ReceivedAt (8 bytes) + case ID → nil (periods: stats, reports, topics)
//	cases.closed    department + 0x00 + ReceivedAt (8 bytes) + case ID → nil, for final cases:
//	                one key per involved department (handling department and co-handlers) plus
//	                one with the empty department (all cases); written once, when final
//	cases.events    seq → the event: hall.CaseEvent's fields, with "case" the case after the event
//	                without its append-only lists (timeline, replies, ratings, duplicates: null
//	                or left out), and "lens": {"timeline", "replies", "ratings", "duplicates"}
//	                their lengths then. Read back, the event gets the first "lens" entries of
//	                the case's current lists: the case as it was after the event, as it was
//	                published. An event without "lens" (format 1) holds its full case.
//	cases.learned   seq of the change (8 bytes) + index in it (2 bytes) → hall.RouteExample
//	cases.forgotten staff username → {"seq": S, "at": time}: the re-routes of that user in
//	                changes up to seq S (cases.learned keys ≤ S) are undone (DELETE
//	                /api/v1/route/learned/{username}, at: when); LoadCases leaves them out.
//	                Created with the first such record.
//	                (texts the router learned from re-routings; replayed at start-up)
//	cases.meta      "meta" → cases.Meta; "events-format" → "2" once every record and event is in
//	                format 2 (opening the case store rewrites format 1 records and events,
//	                2,000 per transaction, then sets it; a record or event still in format 1
//	                reads as before)
//	cases.idem      source + 0x00 + idempotency key → {"id": case ID, "at": time stored};
//	                pruned after CaseIdempotencyTTL
//	cases.search    term + 0x00 + case ID → nil: the search index (casesearch.go; the terms are
//	                cases.SearchTerms': "t:" Han bigrams and lower-cased words of the title and
//	                text, "m:" the same of the requester's name, "p:" the phone's digits, "n:" the
//	                number, "d:" each involved department), written in the transaction that
//	                writes the case
//	cases.searchterms case ID → the case's terms joined by 0x00, as indexed: a change rewrites
//	                the case's keys only when they differ. A file without a complete index
//	                (cases.meta "search-index" ≠ "1": written before issue 14) gets every case
//	                indexed when the case store opens, 2,000 per transaction, then the mark
//
// Next to the case system:
//
//	topics.answers  topic ID → hall.TopicAnswer (published answers to hot topics)
//	topics.cases    case ID → topic ID (the cases an answer is linked to)
//	longlist        item ID → hall.ListItem (the long-standing issues list)
//
// Next to the queues (visitrating.go):
//
//	visit.ratings   ticket ID → hall.VisitRating: the rating of a finished visit (好差评),
//	                from the follow page or the counter-side page alike, written once per
//	                ticket (checked against tickets/tokens in the same transaction), never
//	                changed; the hall's log then gets a visit.rated event (enginehost.Ratings)
//	outbox.cursor   deliverer name → seq (8 bytes) of the last case event it delivered
//	outbox.notes    deliverer name + 0x00 + seq (8 bytes) → dead-letter note (JSON, opaque here)
//
// The notification outbox (notify.go; package notify, docs/NOTIFY.md). Its cursor is the
// deliverer "notify" in outbox.cursor, moved in the same transaction that adds an event batch's
// notices, so each event's notices are added exactly once:
//
//	notify.outbox   dedupe key "<seq>/<channel>/<recipient>" → hall.Notice waiting (or dead: a
//	                notice that failed too often, kept until an administrator retries it)
//	notify.sent     dedupe key → delivery time (Unix ns, 8 bytes): a notice delivered is never
//	                added again; keys older than 30 days are pruned
//
// Attachments of case messages (attachments.go; the buckets are created with the first file).
// The description of each file (hall.Attachment: ID, name, sniffed type, size) is part of the
// case: in the timeline entry of the message it came with (CaseEntry.Attachments), so in the
// case's value and in the event of that message. The bytes (metadata already stripped, package
// attach) are stored once per content, written and fsync'd in their own transaction before the
// event's change is enqueued (enginehost/attachments.go); a message the workflow refuses
// deletes the blobs it had just created. A blob no committed case references (its event's
// commit failed) is never served and may be swept.
//
//	attach.meta    SHA-256 of the bytes (32 bytes) → {"type", "size", "chunks", "at"}
//	attach.blobs   SHA-256 (32 bytes) + chunk index (4 bytes) → at most 256 KiB of the bytes,
//	               in order
//
// Accounts (auth.go):
//
//	staff          username → hall.Staff (with the bcrypt hash of the password)
//	devices        SHA-256 of the device token (32 bytes) → hall.Device
//	sessions       SHA-256 of the session token (32 bytes) → {"username", "expires"}
//	devices.revoked device ID → hall.DeviceRecord (the device with "revokedAt"): revoked
//	               devices, kept for the admin list. Created with the first revocation
//
// Identified requesters (requesters.go; buckets made by NewRequesters):
//
//	requester.sessions SHA-256 of the requester session token (32 bytes) → {"identity":
//	               hall.Identity, "created", "expires"}: 7 days, fixed; at most 100,000 (a
//	               sign-in beyond drops the expired, else the oldest). Apart from sessions: a
//	               requester token is no staff session and the reverse
//	cases.requester Identity.Key() (source + 0x00 + account) + 0x00 + ReceivedAt (8 bytes) + case
//	               ID → nil: the cases opened while signed in, written in the transaction that
//	               opens the case (casestore.go write); the identity is in no other record
//	               (hall.Requester.Identity is never encoded)
//	cases.requester.of case ID → Identity.Key(): the same index by case (Requesters.CaseRequester:
//	               who hears that the case's reply is ready), written with it; filled from
//	               cases.requester at open when empty (files written before it existed)
//
// hall.Staff also holds "casUser" (the account's campus sign-on user when not its username:
// Auth.LoginExternal), "disabled" (no sign-in; its sessions were deleted when it was set) and
// "assignments" (seasonal counter assignments, hall.CounterAssignment).
//
// Audit trail (audit.go; created with the first entry):
//
//	audit          at (Unix ns, 8 bytes) + the bucket's NextSequence (8 bytes) → hall.AuditEntry
//	               {"at", "actor", "kind", "target", "detail"}: sign-ins and failures,
//	               sign-outs, staff and device changes, backups, and whatever another store puts
//	               with PutAudit in its own transaction (the campus configuration). Written in the
//	               transaction of the change it records; pruned after the retention (default 3
//	               years), oldest first, 1,000 keys per transaction. The counter actions and case
//	               actions of the trail are read from events/{hall} (and the WAL's overlay) and
//	               cases.events, where their actor already is: nothing is written twice
//
// Appointments (预约, appointments.go; issue 16). A booking changes no queue state: each change
// is one bbolt transaction (fsync'd before the answer), which reads the day's bookings of the
// hall and checks the slot's capacity and one active booking per phone (and per signed-in
// identity) per service per day before writing, so two bookings of the last place cannot both succeed. The check-in's ticket
// is a queue event like any issue (the ticket carries "appointment"), then recorded here.
//
//	appt           ID ("ap" + 6+ digits, the bucket's sequence) → hall.Appointment {"id",
//	               "hall", "service", "day", "start", "end", "code", "token", "name", "phone",
//	               "identity" (the requester's Identity.Key when booked signed in), "state" (booked, checked_in, cancelled), "channel", "createdAt", "ticketId",
//	               "number", "checkedInAt", "cancelledAt"}; kept (the no-show list and reports)
//	appt.token     follow token → ID
//	appt.day       hall + "/" + local date + "/" + ID → empty: the day's bookings of a hall
//	appt.who       identity key + NUL + local date + NUL + ID → empty: the bookings made under
//	               a requester identity ("my bookings", GET /api/v1/me/appointments)
//
// Storage health (storage.go):
//
//	health         "probe" → the time of the last probe write (RFC 3339, text)
//
// Every change of a queue or the case system is written with its events in one record (queues:
// the WAL) or transaction (cases) of its group committer (one per family of logs, shared with
// the other changes queued at that moment) and fsync'd before it is published or acknowledged
// (package enginehost).
package bolt

// Bucket names (the layout above).
var (
	bucketTickets  = []byte("tickets")
	bucketTokens   = []byte("tokens")
	bucketMeta     = []byte("meta")
	bucketIdem     = []byte("idem")
	bucketStaff    = []byte("staff")
	bucketDevices  = []byte("devices")
	bucketSessions = []byte("sessions")

	bucketCases        = []byte("cases")
	bucketCaseNumbers  = []byte("cases.number")
	bucketCaseTokens   = []byte("cases.token")
	bucketCaseOpen     = []byte("cases.open")
	bucketCaseReceived = []byte("cases.received")
	bucketCaseClosed   = []byte("cases.closed")
	bucketCaseEvents   = []byte("cases.events")
	bucketCaseTimeline = []byte("cases.timeline")
	bucketCaseLearned  = []byte("cases.learned")
	bucketCaseForgot   = []byte("cases.forgotten")
	bucketCaseMeta     = []byte("cases.meta")
	bucketCaseIdem     = []byte("cases.idem")
	bucketCaseSearch   = []byte("cases.search")
	bucketCaseTerms    = []byte("cases.searchterms")
	caseMetaKey        = []byte("meta")
	caseBuckets        = [][]byte{bucketCases, bucketCaseNumbers, bucketCaseTokens, bucketCaseOpen, bucketCaseReceived, bucketCaseClosed, bucketCaseEvents, bucketCaseTimeline, bucketCaseLearned, bucketCaseMeta, bucketCaseIdem, bucketCaseSearch, bucketCaseTerms}

	bucketTopicAnswers   = []byte("topics.answers")
	bucketTopicCases     = []byte("topics.cases")
	bucketLongList       = []byte("longlist")
	bucketVisitRatings   = []byte("visit.ratings")
	bucketDeliveryCursor = []byte("outbox.cursor")
	bucketDeliveryNotes  = []byte("outbox.notes")
	bucketNoticeOutbox   = []byte("notify.outbox")
	bucketNoticeSent     = []byte("notify.sent")

	bucketHealth = []byte("health")

	bucketAppt      = []byte("appt")
	bucketApptToken = []byte("appt.token")
	bucketApptDay   = []byte("appt.day")
	bucketApptWho   = []byte("appt.who")

	// Attachments (attachments.go), created on the first file stored.
	bucketAttachMeta  = []byte("attach.meta")
	bucketAttachBlobs = []byte("attach.blobs")
)

func openBucket(hall string) []byte   { return []byte("open/" + hall) }
func eventsBucket(hall string) []byte { return []byte("events/" + hall) }
