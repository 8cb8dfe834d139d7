import { describe, expect, it } from 'vitest';
import { countScripts, detectChunkLanguage, detectLanguage, detectLanguageSync, languageModelLoadMs, proseOnly } from './lang.js';

const zhMixed = `计算属性

模板中的表达式虽然方便，但也只能用来做简单的操作。推荐使用 \`computed()\` 来描述依赖响应式状态的复杂逻辑：

\`\`\`js
import { reactive, computed } from 'vue'
const author = reactive({ name: 'John Doe', books: ['Vue 2 - Advanced Guide', 'Vue 3 - Basic Guide', 'Vue 4 - The Mystery'] })
const publishedBooksMessage = computed(() => { return author.books.length > 0 ? 'Yes' : 'No' })
\`\`\`

我们在这里定义了一个计算属性 publishedBooksMessage。`;

describe('detectLanguageSync (script heuristics)', () => {
  it.each([
    ['计算属性', 'zh'],
    ['你好', 'zh'],
    ['什么是 ref()?', 'zh'],
    ['Vue 组件', 'zh'],
    ['コンポーネントの登録', 'ja'],
    ['状態管理にはPiniaを使います', 'ja'],
    ['컴포넌트 등록', 'ko'],
    ['How do I use computed properties?', 'en'],
    ['ref()', 'en'],
    ['Привет, как дела?', 'other'],
  ])('%s -> %s', (text, lang) => {
    expect(detectLanguageSync(text)).toBe(lang);
  });

  it('reads a Chinese page full of code and API names as Chinese', () => {
    expect(detectLanguageSync(zhMixed)).toBe('zh');
  });

  it('reads an English sentence with one Chinese word as English', () => {
    expect(detectLanguageSync('How do I register a component? In Chinese docs it is called 组件 and appears everywhere.')).toBe('en');
  });

  it('tells accented Latin prose from English with a function-word check', () => {
    expect(detectLanguageSync('Les propriétés calculées sont mises en cache selon leurs dépendances réactives, ce qui évite des calculs inutiles.')).toBe('other');
  });
});

describe('detectLanguage (heuristics, then fastText lid.176)', () => {
  it('identifies Latin-script languages with the shipped model, offline', async () => {
    expect(await detectLanguage('Les propriétés calculées sont mises en cache selon leurs dépendances réactives.')).toBe('fr');
    expect(await detectLanguage('Berechnete Eigenschaften werden anhand ihrer reaktiven Abhängigkeiten zwischengespeichert.')).toBe('de');
    expect(await detectLanguage('Computed properties are cached based on their reactive dependencies.')).toBe('en');
    expect(languageModelLoadMs()).toBeGreaterThan(0);
  });

  it('leaves short strings and CJK text to the script check', async () => {
    expect(await detectLanguage('ref()')).toBe('en'); // lid.176 alone says Spanish
    expect(await detectLanguage('计算属性')).toBe('zh');
    expect(await detectLanguage('侦听器')).toBe('zh');
    expect(await detectLanguage(zhMixed)).toBe('zh');
    expect(await detectLanguage('コンポーネントは再利用可能なインスタンスです。')).toBe('ja');
  });

  it('answers long English documentation as en', async () => {
    const text = 'Vue (pronounced /vjuː/, like view) is a JavaScript framework for building user interfaces. '.repeat(30);
    expect(await detectLanguage(text)).toBe('en');
  });
});

describe('detectChunkLanguage', () => {
  it('gives a chunk of pure code its document\'s language, and judges prose itself', () => {
    const code = "```js\nimport { ref } from 'vue'\nconst count = ref(0)\n```";
    expect(detectChunkLanguage(code, 'zh')).toBe('zh');
    expect(detectChunkLanguage(code, 'en')).toBe('en');
    expect(detectChunkLanguage('This section has not been translated yet, so it is still written in English here.', 'zh')).toBe('en');
    expect(detectChunkLanguage('这一节讲的是计算属性和侦听器的区别。', 'en')).toBe('zh');
  });
});

describe('helpers', () => {
  it('strips code fences, inline code, URLs and tags before counting', () => {
    const prose = proseOnly('中文说明 `someCode()` https://example.com/x <div class="a">\n```js\nconst x = 1\n```\n');
    expect(prose).not.toMatch(/someCode|example|const|div/);
    expect(prose).toContain('中文说明');
  });

  it('counts scripts', () => {
    expect(countScripts('漢字かなカナ한글abcé')).toMatchObject({ han: 2, kana: 4, hangul: 2, latin: 4, latinExtended: 1 });
  });
});
