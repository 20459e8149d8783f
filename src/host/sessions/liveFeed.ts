/**
 * One subscription point for everything the sessions of this window say, so each panel and view
 * does not have to follow sessions coming and going itself.
 */
import * as vscode from 'vscode';
import type { TrainerToHost } from '../../protocol/trainerProtocol';
import type { SessionRegistry } from './sessionRegistry';
import type { SessionResult, TrainingSession } from './trainingSession';

export interface LiveMessage {
  session: TrainingSession;
  message: TrainerToHost;
}

export class LiveFeed implements vscode.Disposable {
  private readonly _onMessage = new vscode.EventEmitter<LiveMessage>();
  private readonly _onEnded = new vscode.EventEmitter<{ session: TrainingSession; result: SessionResult }>();
  readonly onMessage = this._onMessage.event;
  readonly onEnded = this._onEnded.event;
  private readonly disposables: vscode.Disposable[];

  constructor(registry: SessionRegistry) {
    this.disposables = [
      this._onMessage,
      this._onEnded,
      registry.onDidAdd((session) => {
        const sub = session.onDidReceive((message) => this._onMessage.fire({ session, message }));
        void session.ended.then((result) => {
          sub.dispose();
          this._onEnded.fire({ session, result });
        });
      }),
    ];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
