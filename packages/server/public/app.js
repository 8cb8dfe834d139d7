// The page at `/` of `loom serve`: plain JavaScript, no build. Talks to the same server's
// OpenAI-compatible API (streaming) and keeps the conversation so follow-ups work.
(() => {
  'use strict';
  const KEY_ITEM = 'loom-api-key';
  const $ = (id) => document.getElementById(id);
  const keyForm = $('key-form');
  const askForm = $('ask-form');
  const conversation = $('conversation');
  let history = [];

  const key = () => localStorage.getItem(KEY_ITEM) || '';
  const headers = () => {
    const h = { 'content-type': 'application/json' };
    if (key()) h.authorization = `Bearer ${key()}`;
    return h;
  };

  function el(tag, props = {}, text) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    if (text !== undefined) node.textContent = text; // never innerHTML: answers quote documents
    return node;
  }

  function needKey(message) {
    keyForm.hidden = false;
    $('forget').hidden = true;
    if (message) keyForm.querySelector('label').textContent = message;
    $('key').focus();
  }

  async function loadModels() {
    const res = await fetch('v1/models', { headers: headers() });
    if (res.status === 401) return needKey(key() ? 'That key was not accepted; enter another' : undefined);
    keyForm.hidden = true;
    $('forget').hidden = !key();
    const body = await res.json();
    const select = $('model');
    select.replaceChildren(...body.data.map((m) => el('option', { value: m.id, title: m.description || '' }, m.id)));
    select.value = 'ask';
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(KEY_ITEM, $('key').value.trim());
    $('key').value = '';
    void loadModels();
  });
  $('forget').addEventListener('click', () => {
    localStorage.removeItem(KEY_ITEM);
    void loadModels();
  });
  $('new').addEventListener('click', () => {
    history = [];
    conversation.replaceChildren();
    $('question').focus();
  });
  $('question').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) askForm.requestSubmit();
  });

  /** The citations under an answer: a link to the page when it has an address, else its path and heading. */
  function citationList(citations) {
    const list = el('ol', { className: 'citations' });
    for (const c of citations) {
      const item = el('li', { value: c.n });
      const label = [c.source, c.heading].filter(Boolean).join(' › ');
      if (c.url && /^https?:\/\//i.test(c.url)) item.append(el('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer' }, label));
      else item.append(el('span', {}, label));
      list.append(item);
    }
    return list;
  }

  /** Reads an SSE body, calling onData with each parsed `data:` payload. */
  async function readEvents(res, onData) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data && data !== '[DONE]') onData(JSON.parse(data));
      }
    }
  }

  async function ask(question) {
    const turn = el('article', { className: 'turn' });
    const answer = el('p', { className: 'answer pending' });
    turn.append(el('p', { className: 'question' }, question), answer);
    conversation.prepend(turn);
    const messages = [...history, { role: 'user', content: question }];
    const res = await fetch('v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify({ model: $('model').value || 'ask', stream: true, messages }) });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      if (res.status === 401) needKey('That key was not accepted; enter another');
      throw new Error(body.error ? body.error.message : `HTTP ${res.status}`);
    }
    let text = '';
    await readEvents(res, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices && chunk.choices[0];
      if (choice && choice.delta && choice.delta.content) {
        text += choice.delta.content;
        answer.textContent = text;
      }
      if (chunk.loom && chunk.loom.lang) answer.lang = chunk.loom.lang;
      if (chunk.citations && chunk.citations.length) turn.append(citationList(chunk.citations));
      if (chunk.loom && chunk.loom.grounded === false) {
        turn.classList.add('unanswered');
        turn.append(el('p', { className: 'note' }, 'The documents do not answer this question. 文档中没有找到答案。'));
      }
    });
    answer.classList.remove('pending');
    turn.classList.add('done');
    history = [...messages, { role: 'assistant', content: text }].slice(-12);
  }

  askForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const question = $('question').value.trim();
    if (!question) return;
    const button = $('ask');
    button.disabled = true;
    try {
      await ask(question);
      $('question').value = '';
    } catch (error) {
      const first = conversation.firstElementChild;
      if (first) {
        first.querySelector('.answer').classList.remove('pending');
        first.append(el('p', { className: 'note error' }, error.message));
      }
    } finally {
      button.disabled = false;
    }
  });

  void loadModels();
})();
