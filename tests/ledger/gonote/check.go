// Command check cross-checks Sunlight's signed notes against Go's reference
// implementation, golang.org/x/mod/sumdb/note.
//
// It reads one JSON request on stdin and writes one JSON response on stdout:
//
//	request:  {"vkey": "<verifier key>", "notes": ["<base64 of note bytes>", ...],
//	           "skey": "<signer key, optional>", "text": "<text to sign, optional>"}
//	response: {"results": [{"ok": bool, "text": "<opened text>", "error": "..."}, ...],
//	           "signed": "<note signed by Go with skey, when skey is given>"}
//
// Each note is opened with note.Open and a verifier list holding only vkey.
// Built offline in GOPATH mode against the Debian package golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run check.go
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
)

type request struct {
	VKey  string   `json:"vkey"`
	Notes []string `json:"notes"`
	SKey  string   `json:"skey"`
	Text  string   `json:"text"`
}

type result struct {
	OK    bool   `json:"ok"`
	Text  string `json:"text"`
	Error string `json:"error"`
}

type response struct {
	Results []result `json:"results"`
	Signed  string   `json:"signed"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail("decoding request: %v", err)
	}
	verifier, err := note.NewVerifier(req.VKey)
	if err != nil {
		fail("note.NewVerifier(%q): %v", req.VKey, err)
	}
	verifiers := note.VerifierList(verifier)

	resp := response{Results: []result{}}
	for _, b64 := range req.Notes {
		msg, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			fail("decoding note: %v", err)
		}
		n, err := note.Open(msg, verifiers)
		if err != nil {
			resp.Results = append(resp.Results, result{OK: false, Error: err.Error()})
			continue
		}
		resp.Results = append(resp.Results, result{OK: true, Text: n.Text})
	}

	if req.SKey != "" {
		signer, err := note.NewSigner(req.SKey)
		if err != nil {
			fail("note.NewSigner: %v", err)
		}
		signed, err := note.Sign(&note.Note{Text: req.Text}, signer)
		if err != nil {
			fail("note.Sign: %v", err)
		}
		resp.Signed = string(signed)
	}

	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fail("encoding response: %v", err)
	}
}
