// A second, in-page step before an action that cannot be undone (send a push, revoke a key, start a transfer):
// no window.confirm, whose dialog blocks the page and which a headless test cannot see.
import { addMessages } from './i18n.js';
import { h, t } from './lib.js';

addMessages({
  confirm_yes: { zh: '确定', en: 'Yes' },
  confirm_no: { zh: '取消', en: 'No' },
});

// confirmStep(button, question, action): clicking `button` shows `question` with 确定 (id `<button id>-yes`) and
// 取消 next to it; 确定 runs `action()`.
export function confirmStep(button, question, action) {
  button.addEventListener('click', () => {
    if (button.nextElementSibling && button.nextElementSibling.classList.contains('confirm-step')) return;
    const yes = h('button', { type: 'button', class: 'primary small', id: button.id ? `${button.id}-yes` : null }, t('confirm_yes'));
    const no = h('button', { type: 'button', class: 'secondary small' }, t('confirm_no'));
    const step = h('span', { class: 'confirm-step', role: 'alert' }, question, ' ', yes, ' ', no);
    yes.addEventListener('click', () => { step.remove(); action(); });
    no.addEventListener('click', () => step.remove());
    button.after(step);
  });
  return button;
}
