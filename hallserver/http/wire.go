package http

import "onedoor/hallserver/wire"

// The JSON bodies of the API are declared once, in package wire, for this server and the Go
// client (hallserver/client). The names below are the ones the handlers (and their tests) have
// always used.
type (
	hallJSON      = wire.Hall
	serviceJSON   = wire.Service
	counterConfig = wire.Counter
	ticketJSON    = wire.Ticket
	issueRequest  = wire.IssueRequest
	followJSON    = wire.Follow
	sessionJSON   = wire.Session
	loginRequest  = wire.LoginRequest
	errorBody     = wire.ErrorBody
	errorDetail   = wire.ErrorDetail
	noticeRequest = wire.NoticeRequest

	routeRequest     = wire.RouteRequest
	categoryJSON     = wire.Category
	catalogueJSON    = wire.Catalogue
	openCaseRequest  = wire.OpenCase
	openedCaseJSON   = wire.OpenedCase
	caseListJSON     = wire.CaseList
	caseStatsJSON    = wire.CaseStats
	caseFollowJSON   = wire.CaseFollow
	publicAnswerJSON = wire.TopicAnswer
	detailsRequest   = wire.CaseDetails
	rateRequest      = wire.CaseRating
	webCaseRequest   = wire.WebCaseRequest
	webCaseJSON      = wire.WebCase
	relatedJSON      = wire.Related
	relatedListJSON  = wire.RelatedList

	topicsJSON         = wire.Topics
	topicAnswerRequest = wire.TopicAnswerRequest
	listItemsJSON      = wire.ListItems
	listItemRequest    = wire.ListItemRequest
	roadmapItemJSON    = wire.RoadmapItem
	roadmapJSON        = wire.Roadmap

	visitJSON       = wire.Visit
	requestJSON     = wire.WalkIn
	currentJSON     = wire.CurrentTicket
	counterViewJSON = wire.CounterView
)
