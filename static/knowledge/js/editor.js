/* The Trix editor of articles and announcements: files are not embedded in
 * the text (they belong to attachments), so Trix's file drop is refused. */
(function () {
  "use strict";
  document.addEventListener("trix-file-accept", function (event) {
    event.preventDefault();
  });
})();
