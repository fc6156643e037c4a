// Package model holds Atende's leaf domain types: companies (tenants),
// agents, teams, channels, contacts, tickets, messages, attachments, inbound
// rows and queued jobs. It does no I/O and imports nothing from the project.
//
// Every entity except Company carries a CompanyID; stores scope every query
// by it, so an ID from another company is simply not found.
package model
