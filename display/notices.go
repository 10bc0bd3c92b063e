package display

import "onedoor/hallserver/hall"

// applySnapshotNotices takes the notice line of a snapshot (oldest first).
func (s *State) applySnapshotNotices(snap *hall.Snapshot) {
	s.Notices = s.Notices[:0]
	s.noticeIDs = s.noticeIDs[:0]
	for _, n := range snap.Notices {
		s.Notices = append(s.Notices, n.Text)
		s.noticeIDs = append(s.noticeIDs, n.ID)
	}
}

// applyNoticeEvent applies notice.published (appended, or replaced when its ID is known) and
// notice.withdrawn (removed).
func (s *State) applyNoticeEvent(ev *hall.Event) {
	if ev.Notice == nil {
		return
	}
	i := 0
	for i < len(s.noticeIDs) && s.noticeIDs[i] != ev.Notice.ID {
		i++
	}
	switch ev.Type {
	case hall.EventNotice:
		if i < len(s.noticeIDs) {
			s.Notices[i] = ev.Notice.Text
			return
		}
		s.Notices = append(s.Notices, ev.Notice.Text)
		s.noticeIDs = append(s.noticeIDs, ev.Notice.ID)
	case hall.EventNoticeGone:
		if i < len(s.noticeIDs) {
			s.Notices = append(s.Notices[:i:i], s.Notices[i+1:]...)
			s.noticeIDs = append(s.noticeIDs[:i:i], s.noticeIDs[i+1:]...)
		}
	}
}
