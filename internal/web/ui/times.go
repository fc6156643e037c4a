package ui

import (
	"fmt"
	"time"
)

// stamp is one time as the UI shows it: Text friendly ("hoje 14:05",
// "ontem 09:12", "5 de jun. 14:05", "05/06/2023 14:05"), Full the whole
// timestamp with the zone (a title), ISO for <time datetime>.
type stamp struct {
	Text, Full, ISO string
}

var ptMonthsShort = []string{"jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."}
var ptWeekdaysLong = []string{"domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"}

// when renders t for an agent in zone loc at now (the program's clock).
func when(l Localizer, t, now time.Time, loc *time.Location) stamp {
	if t.IsZero() {
		return stamp{}
	}
	if loc == nil {
		loc = time.UTC
	}
	lt, ln := t.In(loc), now.In(loc)
	hm := lt.Format("15:04")
	y1, m1, d1 := lt.Date()
	y2, m2, d2 := ln.Date()
	yy, ym, yd := ln.AddDate(0, 0, -1).Date()
	var text string
	switch {
	case y1 == y2 && m1 == m2 && d1 == d2:
		text = l.T("time.today", hm)
	case y1 == yy && m1 == ym && d1 == yd:
		text = l.T("time.yesterday", hm)
	case y1 == y2 && l.Lang == LangEN:
		text = lt.Format("Jan 2 15:04")
	case y1 == y2:
		text = fmt.Sprintf("%d de %s %s", d1, ptMonthsShort[m1-1], hm)
	case l.Lang == LangEN:
		text = lt.Format("Jan 2, 2006 15:04")
	default:
		text = lt.Format("02/01/2006 15:04")
	}
	var full string
	if l.Lang == LangEN {
		full = lt.Format("Monday, January 2, 2006 15:04:05 -07:00") + " (" + loc.String() + ")"
	} else {
		full = fmt.Sprintf("%s, %s (%s)", ptWeekdaysLong[lt.Weekday()], lt.Format("02/01/2006 15:04:05 -07:00"), loc.String())
	}
	return stamp{Text: text, Full: full, ISO: t.UTC().Format(time.RFC3339)}
}
