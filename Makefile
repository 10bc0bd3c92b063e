# OneDoor. `make demo` runs the whole system on its embedded defaults; `make test` runs the tests.
GO ?= go

.PHONY: demo test check build bench displayload screenshots screenshots-kiosk screenshots-kiosk-xvfb screenshots-display screenshots-web screenshots-cases screenshots-admin

demo:
	./scripts/deps.sh demo
	./scripts/demo.sh

test:
	./scripts/deps.sh test
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

# The server side is pure Go; the kiosk and display need cgo and Fyne's GL/X11 headers.
build:
	./scripts/deps.sh demo
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/hallserver ./cmd/hallctl ./cmd/printersim
	$(GO) build -o bin/ ./cmd/kiosk ./cmd/display

# The outside checks of the hall server API contract (see ../shared/tools/README.md).
check:
	../shared/tools/check smoke
	../shared/tools/check authz
	../shared/tools/check durability

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./hallserver/... ./drivers/...

# The real Fyne hall display under Xvfb against a demo hall server: issues and calls tickets and
# samples the display's RSS and CPU (docs/PERFORMANCE.md). E.g.
#   make displayload DISPLAYLOAD_ARGS="-calls 10000 -every 0 -idle 150s"
#   make displayload DISPLAYLOAD_ARGS="-calls 48 -every 5s -idle 60s"
displayload:
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/hallserver ./cmd/displayload
	$(GO) build -o bin/ ./cmd/display
	./bin/displayload $(DISPLAYLOAD_ARGS)

# Kiosk screens (home zh/en, options, keypad, result, request flow, printer failure, out of
# service; the home screen with a quota reached, a service outside its hours and a seasonal one,
# kiosk-home-limits-*) at 1920x1080 and 1080x1920, rendered headless by Fyne's test driver with the real font.
# (Fyne's test driver sizes the service buttons' text smaller than the real app does: these are for
# checking layouts quickly, docs/screenshots keeps the Xvfb ones.)
screenshots-kiosk:
	KIOSK_SCREENSHOTS=$${KIOSK_SCREENSHOTS:-$(CURDIR)/out/screenshots} $(GO) test -count=1 -run '^(TestScreenshots|TestKioskShowsQuotaHoursAndSeason)$$' ./kiosk

# The real kiosk binary under Xvfb (:99 or the next free display; 1920x1080x24 and 1080x1920x24,
# -nolisten tcp) against the demo hall server and the in-process virtual printer (sim:DIR), stepped
# by -demo-script through home, options, ticket result and request screens in both languages, each
# captured with `import -window root` as docs/screenshots/kiosk-xvfb-<screen>-<lang>-<orientation>.png.
screenshots-kiosk-xvfb:
	@command -v Xvfb >/dev/null && command -v import >/dev/null || { echo "screenshots-kiosk-xvfb needs Xvfb and ImageMagick: apt-get install xvfb imagemagick" >&2; exit 1; }
	KIOSK_XVFB_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout 10m -run '^TestXvfbScreenshots$$' ./cmd/kiosk

# Hall display, Fyne (test driver, real font) and web (headless Chromium), landscape and portrait.
screenshots-display:
	$(GO) test -count=1 -run '^TestScreenshots$$' ./display -args -screenshots $(CURDIR)/docs/screenshots
	$(GO) test -count=1 -run '^TestWebDisplayScreenshots$$' ./hallserver/http -args -display-screenshots $(CURDIR)/docs/screenshots

# Every screenshot: kiosk (the real binary under Xvfb), displays, counter console, follow page, case pages.
screenshots:
	./scripts/deps.sh screenshots
	$(MAKE) screenshots-kiosk-xvfb screenshots-display screenshots-web screenshots-cases screenshots-admin

# Counter console and phone follow page (headless Chromium; the follow page at 390x844).
screenshots-web:
	$(GO) test -count=1 -run '^(TestWebScreenshots|TestReportsPageWeb|TestAskPageInBrowser|TestHotlinePageInBrowser|TestRatePageWeb|TestInboxMergePicksOriginalBySearch)$$' ./hallserver/http -args -web-screenshots $(CURDIR)/docs/screenshots

# The admin page /admin, section by section as its browser test works through it (headless
# Chromium, 1440x900), as docs/screenshots/admin-*.png.
screenshots-admin:
	$(GO) test -count=1 -run '^TestAdminPageInBrowser$$' ./hallserver/http -args -web-screenshots $(CURDIR)/docs/screenshots

# Case system pages (headless Chromium, three weeks of seeded cases): department inbox,
# supervision charts (daily, weekly, full page) and the public roadmap, as docs/screenshots/cases-*.png.
screenshots-cases:
	$(GO) test -count=1 -run '^TestCasesScreenshots$$' ./hallserver/http -args -cases-screenshots $(CURDIR)/docs/screenshots
