//! The server's integration tests, as one test binary: each links the whole
//! server, so one binary is linked once instead of once per file. Every
//! module is a file of tests that start a real server (in this process, or
//! the server binary as a process of its own) and talk to it as a browser,
//! a mail server or an attacker would; `support` has what they share.

mod support;

mod adversarial;
mod channels;
mod crash;
mod files;
mod guests;
mod http;
mod inbox_permissions;
mod inboxes;
mod invites;
mod mail;
mod messages;
mod schedules;
mod signal;
mod summary_model;
mod transcripts;
mod workspace_permissions;
