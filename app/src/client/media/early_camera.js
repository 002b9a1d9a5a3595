// Starts a guest's camera preview while the page is still being parsed,
// before the WebAssembly has arrived (on a slow link that takes seconds).
// Only when the page has a preview to show: a dead link asks for nothing.
// The app takes the stream over when it wakes up (media/devices.rs,
// window.__anteroomEarlyMedia); if the browser refused, the app asks
// again itself and explains why.
//
// The app itself starts only once the preview plays: a guest page hydrates
// when the browser is idle (lib.rs, `defer`), and that idle callback is
// held here until then. Compiling and starting the app on the same cores
// would otherwise hold the camera back by a few hundred milliseconds.
(() => {
  if (!navigator.mediaDevices) return;
  let release;
  const previewShown = new Promise((resolve) => (release = resolve));
  // Never held for long: a camera that takes its time must not keep the
  // page's buttons dead.
  setTimeout(release, 1500);
  const idle = window.requestIdleCallback;
  if (idle) {
    window.requestIdleCallback = (callback, options) => {
      previewShown.then(() => idle.call(window, callback, options));
      return 0;
    };
    previewShown.then(() => (window.requestIdleCallback = idle));
  }
  const start = (video) => {
    const media = navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    window.__anteroomEarlyMedia = media;
    media.then((stream) => {
      video.addEventListener('playing', release, { once: true });
      if (!video.srcObject) video.srcObject = stream;
    }, release);
  };
  const watch = new MutationObserver(() => {
    const video = document.querySelector('video.preview-video');
    if (video) {
      watch.disconnect();
      start(video);
    }
  });
  watch.observe(document, { childList: true, subtree: true });
  // Later previews (after hanging up) are the app's own business.
  document.addEventListener('DOMContentLoaded', () => {
    if (!window.__anteroomEarlyMedia) release();
    watch.disconnect();
  }, { once: true });
})();
