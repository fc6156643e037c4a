package ui

// channelMessages: the channel list and form (menu Canais) and the rule editor.
var channelMessages = map[string]map[string]string{
	LangPT: {},
	LangEN: {},
}
