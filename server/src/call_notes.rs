//! Emails the meeting notes of a meeting channel's call to its guests when
//! the call ends, if the channel's "External users receive email summary"
//! setting is on. The SFU reports each ended call; this task writes it up
//! (`anteroom_app::ssr::call_notes`) and sends it to every guest who gave
//! an email address in the lobby, within the limits `call_notes` sets.

use anteroom_app::error::AppError;
use anteroom_app::ssr::call_notes::{self, CallRecord};
use anteroom_app::ssr::mail_out::Outgoing;
use anteroom_app::ssr::state::AppState;
use anteroom_app::ssr::{accounts, channels};
use tokio::sync::{mpsc, watch};

pub async fn run(
    app: AppState,
    mut ended_calls: mpsc::UnboundedReceiver<CallRecord>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            Some(call) = ended_calls.recv() => {
                if let Err(error) = send_notes(&app, &call).await {
                    tracing::error!(%error, channel = %call.channel, "sending meeting notes");
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

async fn send_notes(app: &AppState, call: &CallRecord) -> Result<(), AppError> {
    let guests = call.guest_emails();
    if guests.is_empty() || !call_notes::emails_guests(&app.db, call.channel).await? {
        return Ok(());
    }
    let Some((workspace, channel)) = channels::by_id(&app.db, call.channel).await? else { return Ok(()) };
    let workspace_name = accounts::workspace_name(&app.db, workspace).await?;
    let text = call.notes_text(&workspace_name, &channel.name);
    for email in guests {
        if !call_notes::may_send(&app.db, call.channel, call.started_at, &email).await? {
            tracing::info!(channel = %call.channel, "meeting notes not sent: already sent, or the address's daily allowance is used");
            continue;
        }
        let outgoing = Outgoing::about_calls(
            &app.settings,
            &workspace_name,
            &email,
            format!("Notes from your call in {}", channel.name),
            text.clone(),
        );
        match app.mailer.send(&outgoing).await {
            Ok(delivery) => {
                call_notes::record_sent(&app.db, call.channel, call.started_at, &email, delivery.key()).await?;
                tracing::info!(channel = %call.channel, delivery = delivery.key(), "meeting notes sent");
            }
            Err(error) => tracing::error!(channel = %call.channel, %error, "could not send meeting notes"),
        }
    }
    Ok(())
}
