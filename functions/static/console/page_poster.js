// A channel's printable poster: its QR code, its name and a caption (the print style hides the console around it).
import { addMessages } from './i18n.js';
import { api, h, notice, t } from './lib.js';
import { qrBlob } from './page_channels.js';

addMessages({
  poster_caption: { zh: '微信扫一扫，关注我们', en: 'Scan with WeChat to follow us' },
  poster_caption_wecom: { zh: '微信扫一扫，添加专属顾问', en: 'Scan with WeChat to add your adviser' },
  poster_caption_label: { zh: '海报文字', en: 'Caption' },
  poster_back: { zh: '返回渠道列表', en: 'Back to channels' },
  poster_no_channel: { zh: '未指定渠道。', en: 'No channel given.' },
});

export default {
  id: 'poster',
  title: { zh: '渠道海报', en: 'Channel poster' },
  role: 'viewer',
  nav: false,
  async render(root, ctx) {
    const channelId = ctx.params.channel;
    if (!ctx.account_id || !channelId) { root.appendChild(notice('info', t('poster_no_channel'))); return; }
    const base = `/accounts/${encodeURIComponent(ctx.account_id)}/channels/${encodeURIComponent(channelId)}`;
    const channel = await api(base);
    const img = h('img', { class: 'poster-qr', id: 'poster-qr', alt: channel.name });
    const caption = h('p', { class: 'poster-caption', id: 'poster-caption' },
      t(channel.kind === 'wecom_contact_way' ? 'poster_caption_wecom' : 'poster_caption'));
    const captionInput = h('input', { id: 'poster-caption-input', value: caption.textContent,
      oninput: (e) => { caption.textContent = e.target.value; } });
    root.append(
      h('div', { class: 'poster-tools' },
        h('a', { href: '#/channels' }, t('poster_back')),
        h('label', { class: 'picker' }, h('span', null, t('poster_caption_label')), captionInput),
        h('button', { type: 'button', class: 'primary', id: 'poster-print', onclick: () => window.print() }, t('print'))),
      h('div', { class: 'poster', id: 'poster' },
        h('p', { class: 'poster-name', id: 'poster-name' }, channel.name), img, caption));
    // the QR comes through the API (cookie session): shown from a blob: URL, which the CSP's img-src allows
    const blob = await qrBlob(ctx.account_id, channelId, channel.kind === 'wecom_contact_way' ? 'svg' : 'png');
    img.src = URL.createObjectURL(blob);
    await img.decode().catch(() => {});
  },
};
