// Package sso signs people in through the university's identity services (issue 15): the
// campus single sign-on (统一身份认证, the CAS protocol 2.0 and 3.0) and WeChat Work OAuth
// inside the WeChat Work app (企业微信网页授权). It is an adapter: it only talks to those
// servers and answers hall.Identity; package http drives the browser's side through the small
// interfaces it declares (http.CASLogin, http.WeComLogin), and cmd/hallserver wires this
// package in.
//
// CAS (https://apereo.github.io/cas/ protocol): the browser goes to {cas}/login?service=S and
// comes back to S with ?ticket=ST-…; the server validates the ticket once at
// {cas}/serviceValidate (2.0) or {cas}/p3/serviceValidate (3.0, with attributes) with the very
// same S, and reads the XML answer (cas:serviceResponse).
//
// WeChat Work: the browser goes to https://open.weixin.qq.com/connect/oauth2/authorize with the
// corp ID, the callback, scope snsapi_base and a state, and comes back with ?code=&state=; the
// server asks GET {api}/cgi-bin/auth/getuserinfo?access_token=&code= for the member's userid.
// The access token comes from a TokenSource (the WeChat Work client's cached gettoken).
package sso
