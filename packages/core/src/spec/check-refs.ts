import { CheckContext, isPlainObject, type Path } from './context.js';
import { closest, didYouMean } from './diagnostics.js';
import { filterNames, isTemplate, templateGlobalRefs } from './template.js';
import { kindInfo, type StepInfo } from './check-structure.js';
import { LOOP_INFO_NAME, STEP_COMMON_KEYS } from './schema.js';
import { PROMPT_TEMPLATE_PARAMS, PROMPT_VARIABLES } from '../steps/params.js';

type Ref = (string | number)[];

interface Scope {
  /** the step being checked (undefined for outputs:) */
  self?: StepInfo;
  /** the loop variable valid at this spot */
  loopVar?: string;
  /** where the reference sits, for messages */
  where: string;
}

const LIST_ACCESSORS = new Set(['first', 'last', 'size']);
/** `run.*`: whether a model is configured (see engine/run.ts runInfo) */
const RUN_NAME = 'run';
const RUN_FIELDS = ['offline', 'model'];

/**
 * Template syntax and every name a template uses: inputs.<name>, steps.<id>.<field>, the
 * step's own loop variable. Returns each step's dependencies (refs plus needs) by id.
 */
export function checkRefs(ctx: CheckContext, steps: StepInfo[]): Map<string, Set<string>> {
  const root = ctx.value as Record<string, unknown>;
  const inputs = isPlainObject(root.inputs) ? Object.keys(root.inputs) : [];
  const byId = new Map(steps.filter((s) => s.id).map((s) => [s.id as string, s]));
  const loopVars = new Map<string, StepInfo>();
  for (const s of steps) if (s.raw.foreach !== undefined) loopVars.set(loopVarOf(s), s);
  const deps = new Map<string, Set<string>>();

  const checker = new RefChecker(ctx, inputs, byId, loopVars);
  for (const step of steps) {
    const mine = new Set<string>();
    if (step.id) deps.set(step.id, mine);
    const base = ['steps', step.index];
    const loopVar = step.raw.foreach !== undefined ? loopVarOf(step) : undefined;
    const where = step.id ? `step "${step.id}"` : `step #${step.index + 1}`;
    if (typeof step.raw.when === 'string') checker.checkString(step.raw.when, [...base, 'when'], { self: step, where }, mine, true);
    if (typeof step.raw.foreach === 'string') checker.checkString(step.raw.foreach, [...base, 'foreach'], { self: step, where }, mine);
    // with an unknown kind, the values under its key still get their references checked
    const kindKeys = step.kind ? [step.kind] : Object.keys(step.raw).filter((k) => !STEP_COMMON_KEYS.includes(k));
    for (const k of kindKeys) {
      const variables = PROMPT_VARIABLES[k];
      const params = step.raw[k];
      if (!variables || !isPlainObject(params)) {
        checker.checkValue(params, [...base, k], { self: step, loopVar, where }, mine);
        continue;
      }
      for (const [name, value] of Object.entries(params)) {
        const path = [...base, k, name];
        if (PROMPT_TEMPLATE_PARAMS.includes(name) && typeof value === 'string') checker.checkPromptTemplate(value, path, variables, `${where}: ${k} ${name}`);
        else checker.checkValue(value, path, { self: step, loopVar, where }, mine);
      }
    }
    checkNeeds(ctx, step, byId, mine);
  }
  if (isPlainObject(root.outputs)) checker.checkValue(root.outputs, ['outputs'], { where: 'outputs' }, new Set());
  return deps;
}

function loopVarOf(step: StepInfo): string {
  return typeof step.raw.as === 'string' ? step.raw.as : 'item';
}

function checkNeeds(ctx: CheckContext, step: StepInfo, byId: Map<string, StepInfo>, mine: Set<string>): void {
  const needs = step.raw.needs;
  const list = typeof needs === 'string' ? [needs] : Array.isArray(needs) ? needs : [];
  list.forEach((name, i) => {
    if (typeof name !== 'string') return;
    const path = ['steps', step.index, 'needs', ...(typeof needs === 'string' ? [] : [i])];
    if (name === step.id) {
      ctx.report('self-ref', `step "${name}" needs itself`, path, { hint: 'remove it from needs' });
    } else if (!byId.has(name)) {
      const guess = closest(name, byId.keys());
      ctx.report('unknown-need', `needs names an unknown step "${name}"`, path, {
        hint: guess ? `did you mean "${guess}"?` : `steps are: ${[...byId.keys()].join(', ')}`,
      });
    } else mine.add(name);
  });
}

class RefChecker {
  constructor(
    private readonly ctx: CheckContext,
    private readonly inputs: string[],
    private readonly byId: Map<string, StepInfo>,
    private readonly loopVars: Map<string, StepInfo>,
  ) {}

  /** A prompt override: rendered by the step, so only its prompt variables exist in it. */
  checkPromptTemplate(text: string, path: Path, variables: readonly string[], where: string): void {
    let refs: Ref[];
    try {
      refs = templateGlobalRefs(text);
    } catch (error) {
      this.ctx.report('template-syntax', `${where}: template error: ${(error as Error).message.split('\n')[0]}`, path);
      return;
    }
    const seen = new Set<string>();
    for (const [head] of refs) {
      const name = String(head);
      if (variables.includes(name) || seen.has(name)) continue;
      seen.add(name);
      const guess = closest(name, variables);
      this.ctx.report('unknown-ref', `${where}: unknown name "${name}" in the prompt template`, path, {
        hint: `${guess ? `did you mean ${guess}? ` : ''}a prompt override sees ${variables.join(', ')} (not inputs or steps: pass those through the step's parameters)`,
      });
    }
  }

  checkValue(value: unknown, path: Path, scope: Scope, deps: Set<string>): void {
    if (typeof value === 'string') this.checkString(value, path, scope, deps);
    else if (Array.isArray(value)) value.forEach((v, i) => this.checkValue(v, [...path, i], scope, deps));
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) this.checkValue(v, [...path, k], scope, deps);
  }

  checkString(text: string, path: Path, scope: Scope, deps: Set<string>, asCondition = false): void {
    if (!asCondition && !isTemplate(text)) return;
    let refs: Ref[];
    try {
      refs = templateGlobalRefs(text, asCondition);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      const filter = /undefined filter: ([\w-]+)/.exec(message)?.[1];
      const guess = filter ? didYouMean(filter, filterNames()) : undefined;
      this.ctx.report('template-syntax', `${scope.where}: template error: ${message}`, path, {
        hint: guess ?? 'templates are Liquid: {{ inputs.name }}, {{ steps.id.field | join: ", " }}, {% if ... %}…{% endif %}',
      });
      return;
    }
    const seen = new Set<string>();
    for (const ref of refs) {
      const key = ref.join('.');
      if (seen.has(key)) continue;
      seen.add(key);
      this.checkRef(ref, path, scope, deps);
    }
  }

  private checkRef(ref: Ref, path: Path, scope: Scope, deps: Set<string>): void {
    const [head] = ref;
    if (head === 'inputs') return this.checkInput(ref, path, scope);
    if (head === 'steps') return this.checkStepRef(ref, path, scope, deps);
    if (head === RUN_NAME) return this.checkRunRef(ref, path, scope);
    if (scope.loopVar !== undefined && (head === scope.loopVar || head === LOOP_INFO_NAME)) return;
    const owner = this.loopVars.get(String(head));
    if (owner) {
      const own = owner === scope.self;
      this.ctx.report('loop-var-scope', own
        ? `${scope.where}: the loop variable "${head}" exists only inside the step's parameters, not in when: or foreach:`
        : `${scope.where}: "${head}" is the loop variable of step "${owner.id ?? owner.index + 1}" and exists only inside that step`, path, {
        hint: own ? 'when and foreach are evaluated once, before the loop' : `to use that step's results, refer to {{ steps.${owner.id ?? '<id>'} }} (a list)`,
      });
      return;
    }
    this.ctx.report('unknown-ref', `${scope.where}: unknown name "${ref.join('.')}" in template`, path, { hint: this.rootHint(String(head), scope) });
  }

  private rootHint(head: string, scope: Scope): string {
    if (this.inputs.includes(head)) return `did you mean inputs.${head}?`;
    if (this.byId.has(head)) return `did you mean steps.${head}?`;
    const roots = ['inputs', 'steps', RUN_NAME, ...(scope.loopVar ? [scope.loopVar] : [])];
    const guess = closest(head, roots);
    return guess ? `did you mean ${guess}?` : `templates can use ${roots.join(', ')}`;
  }

  /** `run.offline` / `run.model`, set by the engine for the whole run. */
  private checkRunRef(ref: Ref, path: Path, scope: Scope): void {
    if (ref.length < 2 || RUN_FIELDS.includes(String(ref[1]))) return;
    const guess = closest(String(ref[1]), RUN_FIELDS);
    this.ctx.report('unknown-ref', `${scope.where}: unknown name "run.${ref[1]}" in template`, path, {
      hint: guess ? `did you mean run.${guess}?` : `run has ${RUN_FIELDS.map((f) => `run.${f}`).join(', ')}`,
    });
  }

  private checkInput(ref: Ref, path: Path, scope: Scope): void {
    if (ref.length < 2) return;
    const name = String(ref[1]);
    if (this.inputs.includes(name)) return;
    const guess = closest(name, this.inputs);
    this.ctx.report('unknown-ref', `${scope.where}: unknown input "inputs.${name}"`, path, {
      hint: guess ? `did you mean inputs.${guess}?` : `declare it under inputs: (${name}: { type: string })`,
    });
  }

  private checkStepRef(ref: Ref, path: Path, scope: Scope, deps: Set<string>): void {
    if (ref.length < 2) {
      this.ctx.report('unknown-ref', `${scope.where}: "steps" needs a step id, as in steps.<id>.<field>`, path);
      return;
    }
    const id = String(ref[1]);
    const target = this.byId.get(id);
    if (!target) {
      const guess = closest(id, this.byId.keys());
      this.ctx.report('unknown-ref', `${scope.where}: unknown step "steps.${id}"`, path, {
        hint: guess ? `did you mean steps.${guess}?` : `steps are: ${[...this.byId.keys()].join(', ')}`,
      });
      return;
    }
    if (scope.self && target === scope.self) {
      this.ctx.report('self-ref', `${scope.where} uses its own output (steps.${id})`, path, {
        hint: 'a step cannot depend on itself; refer to an earlier step or an input',
      });
      return;
    }
    deps.add(id);
    this.checkField(ref, target, path, scope);
  }

  private checkField(ref: Ref, target: StepInfo, path: Path, scope: Scope): void {
    let fieldAt = 2;
    const isList = target.raw.foreach !== undefined;
    if (isList && ref.length > 2) {
      const seg = ref[2];
      if (seg === 'size') return;
      // a computed index (steps.pages[forloop.index0]) comes from Liquid as a nested path
      if (typeof seg !== 'number' && !Array.isArray(seg) && !LIST_ACCESSORS.has(String(seg))) {
        this.ctx.report('unknown-output', `${scope.where}: steps.${target.id} is a list (its step has foreach), so it has no field "${seg}"`, path, {
          hint: `take one item (steps.${target.id}[0].${seg}) or all of them ({{ steps.${target.id} | map: "${seg}" }})`,
        });
        return;
      }
      fieldAt = 3;
    }
    if (ref.length <= fieldAt || !target.kind || Array.isArray(ref[fieldAt])) return;
    const outputs = kindInfo(target.kind)?.outputs ?? [];
    const field = String(ref[fieldAt]);
    if (outputs.length === 0 || outputs.includes('*') || outputs.includes(field)) return;
    const guess = closest(field, outputs);
    this.ctx.report('unknown-output', `${scope.where}: step "${target.id}" (${target.kind}) has no output "${field}"`, path, {
      hint: guess ? `did you mean steps.${target.id}.${guess}?` : `${target.kind} outputs: ${outputs.join(', ')}`,
    });
  }
}
