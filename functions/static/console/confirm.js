// A second, in-page step before an action that cannot be undone (send a push, revoke a key, start a transfer):
// no window.confirm, whose dialog blocks the page and which a headless test cannot see.
import { addMessages } from './i18n.js';
import { errorBox, h, t } from './lib.js';

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

// actionButton(label, {id, primary}, question, action, said): a button that runs `action()` (disabled meanwhile),
// asking `question` first when given; a refusal shows in `said` and the button can be pressed again.
export function actionButton(label, { id, primary }, question, action, said) {
  const b = h('button', { type: 'button', class: primary ? 'primary' : 'secondary', id }, label);
  const run = async () => {
    b.disabled = true;
    try {
      await action();
    } catch (err) {
      said.replaceChildren(errorBox(err));
      b.disabled = false;
    }
  };
  if (question) confirmStep(b, question, run);
  else b.addEventListener('click', run);
  return b;
}
