// Package health watches what makes a node unable to do its work and says
// so honestly: free space under the data directory (DiskSpace: /readyz and
// SMTP's 452 before DATA), and the age of the inbound queue. It decides
// nothing about channels; package app wires it into /readyz and SMTP.
package health
