// Images given to the page without the file picker: dropped anywhere on it (`dropZone` shows
// that a drag is under way) or pasted from the clipboard.

/// Calls `onFile(file)` with each dropped file and each pasted image.
export function acceptImages(dropZone, onFile) {
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes('Files')) return;
      event.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  document.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) dropZone.classList.remove('dragging');
  });
  document.addEventListener('drop', (event) => {
    dropZone.classList.remove('dragging');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (!file) return;
    event.preventDefault();
    onFile(file);
  });
  document.addEventListener('paste', (event) => {
    const file = event.clipboardData && Array.from(event.clipboardData.files)
      .find((f) => f.type.startsWith('image/'));
    if (file) onFile(file);
  });
}
