from kivy.uix.screenmanager import Screen


class AdminScreen(Screen):
    pass
