package ui

// adminMessages: admin pages (agents, teams, API tokens, webhooks, notices).
var adminMessages = map[string]map[string]string{
	LangPT: {},
	LangEN: {},
}
