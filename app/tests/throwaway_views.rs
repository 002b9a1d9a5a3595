//! Server rendering hands the browser each resource's data once, under the
//! id the browser gives that resource when it hydrates (see
//! vendor/README.md: tachys and hydration_context).
//!
//! `Suspense` makes a throwaway copy of its children to find the resources
//! they read, and makes them again to render. A resource made inside a
//! `Suspend`, after awaiting another, was made in both: the throwaway's copy
//! took an id and sent its data too, so every id after it was off by one
//! from the browser's, which hydrated the page from the wrong data.
#![cfg(feature = "ssr")]

use futures::StreamExt;
use hydration_context::SsrSharedContext;
use leptos::prelude::*;
use std::sync::Arc;

/// A page as Anteroom's are: a resource awaited in a `Suspend`, and inside
/// the view made from it, a component with a resource of its own.
fn page() -> impl IntoView {
    let outer = Resource::new(|| (), |_| async { 7_u32 });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let value = outer.await;
                view! { <Inner value /> }
            })}
        </Suspense>
    }
}

#[component]
fn Inner(value: u32) -> impl IntoView {
    let inner = Resource::new(move || value, |value| async move { value * 6 });
    view! {
        <Suspense>
            {move || Suspend::new(async move { view! { <p>{inner.await}</p> } })}
        </Suspense>
    }
}

#[tokio::test]
async fn each_resource_is_sent_once_under_the_id_the_browser_gives_it() {
    let _ = any_spawner::Executor::init_tokio();
    let context = Arc::new(SsrSharedContext::new());
    let owner = Owner::new_root(Some(context.clone()));
    let html = owner.with(|| page().into_view().to_html_stream_in_order()).collect::<String>().await;
    assert!(html.contains("<p>42</p>"), "rendered: {html}");

    let mut sent: Vec<(usize, String)> =
        context.consume_buffers().await.into_iter().map(|(id, data)| (id.into_inner(), data)).collect();
    sent.sort();
    // The browser gives ids in the order it makes things: the outer
    // resource (0), the outer Suspense (1), the inner resource (2), the
    // inner Suspense (3). Only resources send data.
    assert_eq!(sent, vec![(0, "7".to_string()), (2, "42".to_string())]);
}
