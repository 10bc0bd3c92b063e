package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/sso"
	"onedoor/hallserver/wecom"
)

// identityConfig is the sign-in of requesters and staff through the university's identity
// services (issue 15, docs/IDENTITY.md): the campus CAS server and WeChat Work OAuth.
type identityConfig struct {
	casURL                  string // -cas-url: the CAS server's base, e.g. https://cas.example.edu.cn/cas
	casVersion              int    // -cas-version: 2 (/serviceValidate) or 3 (/p3/serviceValidate)
	casNameAttr, casNumAttr string // -cas-name-attr, -cas-number-attr: the CAS 3.0 attributes
	// wecomAPI, wecomCorp, wecomSecret are the WeChat Work flags (-wecom-*, registered with
	// the notifier's: one set of flags for messages and OAuth), copied here after parsing.
	wecomAPI, wecomCorp, wecomSecret string
}

// identityFlags registers the flags of identityConfig.
func identityFlags(fs *flag.FlagSet, env func(k, def string) string, c *identityConfig) {
	fs.StringVar(&c.casURL, "cas-url", env("ONEDOOR_CAS_URL", ""), "base URL of the campus CAS server (统一身份认证), e.g. https://cas.example.edu.cn/cas; empty: no CAS sign-in")
	fs.IntVar(&c.casVersion, "cas-version", 3, "CAS protocol version of -cas-url: 2 (/serviceValidate) or 3 (/p3/serviceValidate, with attributes)")
	fs.StringVar(&c.casNameAttr, "cas-name-attr", env("ONEDOOR_CAS_NAME_ATTR", "cn"), "CAS 3.0 attribute holding the person's name")
	fs.StringVar(&c.casNumAttr, "cas-number-attr", env("ONEDOOR_CAS_NUMBER_ATTR", ""), "CAS 3.0 attribute holding the student or staff number; empty: the CAS user is the number")
}

// check validates the identity flags.
func (c identityConfig) check() error {
	if c.casVersion != 2 && c.casVersion != 3 {
		return fmt.Errorf("-cas-version must be 2 or 3, not %d", c.casVersion)
	}
	if (c.wecomCorp == "") != (c.wecomSecret == "") {
		return errors.New("-wecom-corp and -wecom-secret go together")
	}
	return nil
}

// wecomTokens is the WeChat Work client's token cache (gettoken, refreshed on 42001/40014) as
// the sign-in's token source: the process keeps one access token for messages and OAuth.
type wecomTokens struct{ c *wecom.Client }

func (t wecomTokens) AccessToken(ctx context.Context) (string, error) { return t.c.Token(ctx) }
func (t wecomTokens) RefreshToken(ctx context.Context, stale string) (string, error) {
	return t.c.Refresh(ctx, stale)
}

// wire sets the server's sign-in services from the flags; WeChat Work OAuth takes its access
// token from wc, the client the notifier sends with.
func (c identityConfig) wire(hc *hallhttp.Config, wc *wecom.Client) error {
	if c.casURL != "" {
		cas, err := sso.NewCAS(c.casURL, c.casVersion, c.casNameAttr, c.casNumAttr)
		if err != nil {
			return fmt.Errorf("-cas-url: %w", err)
		}
		hc.CAS = cas
	}
	if c.wecomCorp != "" {
		w, err := sso.NewWeCom(c.wecomAPI, c.wecomCorp, wecomTokens{wc})
		if err != nil {
			return fmt.Errorf("-wecom-api: %w", err)
		}
		hc.WeCom = w
	}
	return nil
}
